from django.core.management.color import no_style
from django.db import migrations


def reset_province_sequence(apps, schema_editor):
    """Move the id sequence past the provinces that 0002 inserted by id.

    PostgreSQL does not advance a sequence for rows inserted with explicit
    ids, so the next new province would collide with id 1. SQLite needs no
    reset and gets no statements.
    """
    Province = apps.get_model("apoint", "Province")
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [Province]):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("apoint", "0002_provinces")]

    operations = [
        migrations.RunPython(reset_province_sequence, migrations.RunPython.noop)
    ]
