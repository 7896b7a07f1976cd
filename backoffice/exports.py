"""Tables as CSV or Excel (.xlsx) downloads."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = ("csv", "xlsx")


@dataclass
class Table:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]


def _cell(value: Any) -> Any:
    # Excel and spreadsheet apps run a cell starting with one of these as a
    # formula, so text that starts with one is written with a leading quote.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
    # The byte-order mark makes Excel read the file as UTF-8, not GBK.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    # Sheet titles are limited to 31 characters and cannot hold []:*?/\.
    sheet = workbook.create_sheet(title=table.title[:31].translate(_SHEET_UNSAFE))
    sheet.append(list(table.headers))
    for row in table.rows:
        sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_SHEET_UNSAFE = str.maketrans("[]:*?/\\", "_______")


def export_response(table: Table, fmt: str, filename: str) -> HttpResponse:
    """Return `table` as a download in `fmt`, which is "csv" or "xlsx"."""
    if fmt == "xlsx":
        body, content_type = xlsx_bytes(table), XLSX_CONTENT_TYPE
    else:
        body, content_type = csv_bytes(table), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    name = f"{filename}.{fmt}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fmt}-export.{fmt}\"; filename*=UTF-8''{quote(name)}"
    )
    return response
