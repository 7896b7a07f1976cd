"""Parsers for the API's form fields; each raises ApiError(ret 2) on bad input."""

import datetime
import re
import unicodedata

from apoint.errors import invalid

NAME_MAX_LENGTH = 32
DESCRIPTION_MAX_LENGTH = 1000
REMARK_MAX_LENGTH = 1000
EMAIL_MAX_LENGTH = 254
OPENID_MAX_LENGTH = 64
PHOTO_MAX_COUNT = 9
WANT_DATE_MAX_DAYS_AHEAD = 365

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Separators people type inside a phone number.
_PHONE_SEPARATORS = str.maketrans("", "", " -()\u00a0\u3000\u2010\u2011\u2012\u2013")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋－（）", "0123456789+-()")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_OPENID = re.compile(r"[A-Za-z0-9_-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def parse_phone(value: str, field: str = "phone") -> str:
    """Return the 11 ASCII digits of a mainland mobile number."""
    text = value.translate(_FULL_WIDTH_DIGITS).translate(_PHONE_SEPARATORS)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    # fullmatch on an ASCII class: digits of other scripts never pass.
    if not _MOBILE.fullmatch(text):
        raise invalid(field, "格式不正确，应为11位手机号")
    return text


def _check_text(value: str, field: str) -> None:
    for char in value:
        if char in "\n\t":
            continue
        if unicodedata.category(char) == "Cc":
            raise invalid(field, "含有不允许的控制字符")


def parse_text(
    value: str, field: str, *, max_length: int, required: bool = True
) -> str:
    """Return the trimmed text, limited to `max_length` characters.

    Browsers send a textarea's line breaks as CRLF, so CRLF and CR become LF
    before the control-character check.
    """
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise invalid(field, "不能为空")
    if len(text) > max_length:
        raise invalid(field, f"不能超过{max_length}个字")
    _check_text(text, field)
    return text


def parse_name(value: str, field: str = "name") -> str:
    name = parse_text(value, field, max_length=NAME_MAX_LENGTH)
    if "\n" in name or "\t" in name:
        raise invalid(field, "不能包含换行")
    return name


def parse_date(value: str, field: str) -> datetime.date:
    text = value.strip()
    if not _DATE.fullmatch(text):
        raise invalid(field, "格式不正确，应为 YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise invalid(field, "不是有效的日期") from None


def parse_birthday(value: str, today: datetime.date) -> datetime.date:
    birthday = parse_date(value, "birthday")
    if birthday > today:
        raise invalid("birthday", "不能晚于今天")
    if birthday.year < 1900:
        raise invalid("birthday", "不是有效的日期")
    return birthday


def parse_want_date(value: str, today: datetime.date) -> datetime.date:
    want_date = parse_date(value, "wantTime")
    if want_date < today:
        raise invalid("wantTime", "不能早于今天")
    if want_date > today + datetime.timedelta(days=WANT_DATE_MAX_DAYS_AHEAD):
        raise invalid("wantTime", "不能晚于一年以后")
    return want_date


def parse_id(value: str, field: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise invalid(field, "必须是正整数")
    number = int(text)
    if number <= 0:
        raise invalid(field, "必须是正整数")
    return number


def parse_openid(value: str, field: str = "openid") -> str:
    text = value.strip()
    if not text:
        raise invalid(field, "不能为空")
    if len(text) > OPENID_MAX_LENGTH or not _OPENID.fullmatch(text):
        raise invalid(field, "格式不正确")
    return text


def parse_email(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    if len(text) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(text):
        raise invalid("email", "格式不正确")
    _check_text(text, "email")
    return text


def parse_code(value: str) -> str:
    text = value.strip()
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        raise invalid("vercode", "应为6位数字")
    return text
