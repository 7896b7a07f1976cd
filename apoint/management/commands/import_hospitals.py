from apoint.imports import HOSPITAL_COLUMNS, ImportReport, Rows, hospital_import
from apoint.management.commands._csv_import import IMPORT_HELP_TAIL, CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Import hospitals from a CSV file with the header "
        "name,province,address,salesperson_phone. Hospitals are matched by "
        "province and name. The province is its short or full name (上海 or "
        "上海市). salesperson_phone names an active salesperson already on "
        "the roster (run import_staff first); left blank, it keeps the stored "
        "salesperson. Every imported hospital is active and not demo data."
        + IMPORT_HELP_TAIL
    )
    columns = HOSPITAL_COLUMNS
    subject = "Hospitals"

    def importer(self, *, rows: Rows, all_or_nothing: bool) -> ImportReport:
        return hospital_import(rows=rows, all_or_nothing=all_or_nothing)
