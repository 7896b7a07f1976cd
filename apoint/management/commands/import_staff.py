from apoint.imports import (
    STAFF_COLUMNS,
    STAFF_OPTIONAL_COLUMNS,
    ImportReport,
    Rows,
    staff_import,
)
from apoint.management.commands._csv_import import IMPORT_HELP_TAIL, CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Import the staff roster from a CSV file with the header "
        "name,phone and optional email and role columns (salesperson or 销售, "
        "customer_service or 客服). Entries are matched by phone: a known "
        "phone updates the name, email and role, a new one is added as a "
        "salesperson unless the role says otherwise. Every imported entry is "
        "active; WeChat bindings are kept." + IMPORT_HELP_TAIL
    )
    columns = STAFF_COLUMNS
    optional_columns = STAFF_OPTIONAL_COLUMNS
    subject = "Staff"

    def importer(self, *, rows: Rows, all_or_nothing: bool) -> ImportReport:
        return staff_import(rows=rows, all_or_nothing=all_or_nothing)
