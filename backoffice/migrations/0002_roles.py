"""Create the customer-service and administrator groups with their permissions.

Permissions are normally created after all migrations ran, so this migration
creates them first for the apps it needs.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Copied, not imported, so the migration keeps working when roles.py changes.
AGENT_GROUP = "客服"
ADMINISTRATOR_GROUP = "管理员"
AGENT_PERMISSIONS = [("backoffice", "work_orders")]
ADMINISTRATOR_PERMISSIONS = [
    ("backoffice", "work_orders"),
    ("backoffice", "manage_orders"),
    ("backoffice", "view_reports"),
    ("backoffice", "view_access_records"),
    ("backoffice", "erase_patient"),
    ("apoint", "add_hospital"),
    ("apoint", "change_hospital"),
    ("apoint", "view_hospital"),
    ("apoint", "add_staffmember"),
    ("apoint", "change_staffmember"),
    ("apoint", "view_staffmember"),
    ("apoint", "view_accessrecord"),
]


def add_groups(Group, Permission):
    """Create both groups with their permissions, unless they exist."""
    for name, codes in (
        (AGENT_GROUP, AGENT_PERMISSIONS),
        (ADMINISTRATOR_GROUP, ADMINISTRATOR_PERMISSIONS),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in codes:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )


def create_groups(apps, schema_editor):
    for label in ("apoint", "backoffice"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    add_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[AGENT_GROUP, ADMINISTRATOR_GROUP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_initial"),
        ("apoint", "0002_provinces"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
