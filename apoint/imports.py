"""CSV imports of the staff roster and the hospital list.

Both imports check each row on its own: a bad row is rejected with its line
number and reason, and the good rows are written. The whole file is written
in one transaction, so a crash halfway leaves nothing, and `all_or_nothing`
writes nothing when any row is rejected.
"""

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from django.db import transaction

from apoint.errors import ApiError
from apoint.models import Hospital, Province, StaffMember
from apoint.validation import parse_email, parse_name, parse_phone, parse_text

logger = logging.getLogger(__name__)

STAFF_COLUMNS = ("name", "phone")
STAFF_OPTIONAL_COLUMNS = ("email", "role")
HOSPITAL_COLUMNS = ("name", "province", "address", "salesperson_phone")

ROLE_VALUES = {
    "salesperson": StaffMember.Role.SALESPERSON,
    "销售": StaffMember.Role.SALESPERSON,
    "customer_service": StaffMember.Role.CUSTOMER_SERVICE,
    "客服": StaffMember.Role.CUSTOMER_SERVICE,
}
# Full names of provincial-level divisions end in one of these suffixes. The
# Province table stores the short name ("广西壮族自治区" is "广西").
PROVINCE_SUFFIXES = (
    "省",
    "市",
    "自治区",
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "特别行政区",
)
HOSPITAL_NAME_MAX_LENGTH = Hospital._meta.get_field("name").max_length or 64
ADDRESS_MAX_LENGTH = Hospital._meta.get_field("address").max_length or 200


class ImportFileError(Exception):
    """The file as a whole cannot be read, so nothing was written."""


class RowRejected(Exception):
    """One row is invalid. The message is the reason shown to the operator."""


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # (line number, reason), in file order.
    rejected: list[tuple[int, str]] = field(default_factory=list)
    written: bool = True


# A row of the file by column name, or the reason it cannot be read as one.
Row = dict[str, str] | RowRejected
Rows = Iterator[tuple[int, Row]]


def read_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Rows:
    """Yield (line number, row) from a UTF-8 CSV file, with or without BOM.

    Header names are matched without case or surrounding spaces. Columns
    without a header, such as the empty ones Excel adds after the last
    used cell, must be blank. Raises ImportFileError for an unreadable file,
    a missing or unknown column, or bytes that are not UTF-8.
    """
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFileError(f"cannot open {path}: {error.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ImportFileError(f"{path} is empty: expected a header line")
            columns = [name.strip().lower() for name in header]
            _check_header(columns, required, optional)
            for values in reader:
                if any(value.strip() for value in values):
                    yield reader.line_num, _row(columns, values)
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{path} is not UTF-8 (an invalid byte after line "
                f"{reader.line_num}): save it as 'CSV UTF-8' and import again"
            ) from None
        except csv.Error as error:
            raise ImportFileError(
                f"{path} line {reader.line_num}: malformed CSV: {error}"
            ) from None


def _row(columns: list[str], values: list[str]) -> Row:
    if len(values) > len(columns):
        return RowRejected(f"too many fields: {len(values)} for {len(columns)} columns")
    row = dict.fromkeys(columns, "")
    for column, value in zip(columns, values, strict=False):
        if column:
            row[column] = value
        elif value.strip():
            return RowRejected(f"value {value.strip()!r} in a column without a header")
    row.pop("", None)
    return row


def _check_header(
    columns: list[str], required: tuple[str, ...], optional: tuple[str, ...]
) -> None:
    missing = [name for name in required if name not in columns]
    if missing:
        raise ImportFileError(
            f"missing column(s) {', '.join(missing)}: the header must contain "
            f"{','.join(required)}"
        )
    named = [name for name in columns if name]
    unknown = [name for name in named if name not in required + optional]
    if unknown:
        raise ImportFileError(
            f"unknown column(s) {', '.join(unknown)}: allowed are "
            f"{', '.join(required + optional)}"
        )
    duplicates = sorted({name for name in named if named.count(name) > 1})
    if duplicates:
        raise ImportFileError(f"duplicate column(s) {', '.join(duplicates)}")


def _parsed_row(row: Row) -> dict[str, str]:
    if isinstance(row, RowRejected):
        raise row
    return row


def _staff_fields(row: dict[str, str]) -> dict[str, str]:
    try:
        fields = {
            "name": parse_name(row["name"]),
            "phone": parse_phone(row["phone"]),
            "email": parse_email(row.get("email", "")),
        }
    except ApiError as error:
        raise RowRejected(error.msg) from None
    role_text = row.get("role", "").strip()
    if role_text:
        role = ROLE_VALUES.get(role_text.lower())
        if role is None:
            raise RowRejected(
                f"role {role_text!r} is invalid: use salesperson (销售) or "
                "customer_service (客服)"
            )
        fields["role"] = role
    return fields


def staff_import(*, rows: Rows, all_or_nothing: bool = False) -> ImportReport:
    """Add or update roster entries, matched by phone.

    A row makes its entry active. A blank email or role leaves the stored
    one as it is, and a new entry without a role is a salesperson. Bindings are
    never touched.
    """
    report = ImportReport()
    seen: dict[str, int] = {}
    with transaction.atomic():
        for line, row in rows:
            try:
                fields = _staff_fields(_parsed_row(row))
                first_line = seen.setdefault(fields["phone"], line)
                if first_line != line:
                    raise RowRejected(f"duplicate phone, already on line {first_line}")
                _staff_write(fields, report)
            except RowRejected as error:
                report.rejected.append((line, str(error)))
        report.written = _finish(report, all_or_nothing)
    logger.info(
        "staff import: %d added, %d updated, %d unchanged, %d rejected",
        report.added,
        report.updated,
        report.unchanged,
        len(report.rejected),
    )
    return report


def _staff_write(fields: dict[str, str], report: ImportReport) -> None:
    staff = StaffMember.objects.filter(phone=fields["phone"]).first()
    if staff is None:
        StaffMember.objects.create(**fields)
        report.added += 1
        return
    target = {"name": fields["name"], "is_active": True}
    if fields["email"]:
        target["email"] = fields["email"]
    if "role" in fields:
        target["role"] = fields["role"]
    changed = [name for name, value in target.items() if getattr(staff, name) != value]
    if not changed:
        report.unchanged += 1
        return
    for name in changed:
        setattr(staff, name, target[name])
    staff.save(update_fields=changed)
    report.updated += 1


def _finish(report: ImportReport, all_or_nothing: bool) -> bool:
    """Roll the transaction back when `all_or_nothing` and a row failed."""
    if all_or_nothing and report.rejected:
        transaction.set_rollback(True)
        return False
    return True


def find_province(name: str) -> Province | None:
    """Return the province by its short or full name (上海 or 上海市)."""
    text = name.strip()
    provinces = {province.name: province for province in Province.objects.all()}
    if text in provinces:
        return provinces[text]
    for short_name, province in provinces.items():
        if text.startswith(short_name) and text[len(short_name) :] in (
            PROVINCE_SUFFIXES
        ):
            return province
    return None


def _hospital_fields(row: dict[str, str]) -> dict[str, object]:
    try:
        name = parse_text(row["name"], "name", max_length=HOSPITAL_NAME_MAX_LENGTH)
        address = parse_text(
            row["address"], "address", max_length=ADDRESS_MAX_LENGTH, required=False
        )
    except ApiError as error:
        raise RowRejected(error.msg) from None
    province = find_province(row["province"])
    if province is None:
        raise RowRejected(f"province {row['province'].strip()!r} is not found")
    fields: dict[str, object] = {"name": name, "province": province}
    fields["address"] = address
    phone_text = row["salesperson_phone"].strip()
    if phone_text:
        try:
            phone = parse_phone(phone_text, "salesperson_phone")
        except ApiError as error:
            raise RowRejected(error.msg) from None
        salesperson = StaffMember.objects.filter(
            phone=phone, role=StaffMember.Role.SALESPERSON, is_active=True
        ).first()
        if salesperson is None:
            raise RowRejected(
                f"salesperson_phone {phone} is not an active salesperson on the "
                "roster: import the staff first"
            )
        fields["salesperson"] = salesperson
    return fields


def hospital_import(*, rows: Rows, all_or_nothing: bool = False) -> ImportReport:
    """Add or update hospitals, matched by province and name.

    A blank salesperson_phone leaves the stored salesperson as it is. An
    imported hospital is active and not demo data.
    """
    report = ImportReport()
    seen: dict[tuple[int, str], int] = {}
    with transaction.atomic():
        for line, row in rows:
            try:
                fields = _hospital_fields(_parsed_row(row))
                province = cast(Province, fields["province"])
                key = (province.pk, str(fields["name"]))
                first_line = seen.setdefault(key, line)
                if first_line != line:
                    raise RowRejected(
                        f"duplicate hospital, already on line {first_line}"
                    )
                _hospital_write(fields, report)
            except RowRejected as error:
                report.rejected.append((line, str(error)))
        report.written = _finish(report, all_or_nothing)
    logger.info(
        "hospital import: %d added, %d updated, %d unchanged, %d rejected",
        report.added,
        report.updated,
        report.unchanged,
        len(report.rejected),
    )
    return report


def _hospital_write(fields: dict[str, object], report: ImportReport) -> None:
    hospital = Hospital.objects.filter(
        province=cast(Province, fields["province"]), name=fields["name"]
    ).first()
    if hospital is None:
        Hospital.objects.create(**fields)
        report.added += 1
        return
    target = {"address": fields["address"], "is_active": True, "is_demo": False}
    if "salesperson" in fields:
        target["salesperson"] = fields["salesperson"]
    changed = [
        name for name, value in target.items() if getattr(hospital, name) != value
    ]
    if not changed:
        report.unchanged += 1
        return
    for name in changed:
        setattr(hospital, name, target[name])
    hospital.save(update_fields=changed)
    report.updated += 1
