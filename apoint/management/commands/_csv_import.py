"""The parts the CSV import commands share: arguments and the report."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apoint.imports import ImportFileError, ImportReport, Rows, read_rows

IMPORT_HELP_TAIL = (
    " The file is UTF-8, with or without the byte order mark that Excel "
    "writes. Each row is checked on its own: a rejected row is listed with "
    "its line number and reason and the valid rows are written, all in one "
    "transaction. With --all-or-nothing any rejected row leaves the database "
    "unchanged. A file that cannot be read (missing or unknown column, not "
    "UTF-8) changes nothing. Safe to repeat: a row that matches the stored "
    "data counts as unchanged."
)


class CsvImportCommand(BaseCommand):
    columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    subject = ""

    def importer(self, *, rows: Rows, all_or_nothing: bool) -> ImportReport:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file to import")
        parser.add_argument(
            "--all-or-nothing",
            action="store_true",
            help="write nothing when any row is rejected",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        rows = read_rows(path, self.columns, self.optional_columns)
        try:
            report = self.importer(rows=rows, all_or_nothing=options["all_or_nothing"])
        except ImportFileError as error:
            raise CommandError(f"{error}. Nothing was imported.") from None
        for line, reason in report.rejected:
            self.stderr.write(f"line {line}: rejected: {reason}")
        summary = (
            f"{self.subject}: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.rejected)} rejected."
        )
        if not report.written:
            raise CommandError(
                f"{summary} Nothing was written because of --all-or-nothing."
            )
        self.stdout.write(summary)
