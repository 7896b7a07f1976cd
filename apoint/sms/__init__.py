"""Sending SMS through the backend that SMS_BACKEND names.

A backend is a class with `send(message)`; it raises SmsError when the
message did not go out. Gateways add a class and a name in BACKENDS.
"""

import functools
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    # The gateway template and its parameters, for gateways that send by
    # template; console and file backends write `text`.
    template: str = ""
    params: tuple[str, ...] = ()
    # Names of the template's variables, for gateways that fill them by
    # name (Aliyun); empty means p1, p2, ...
    param_names: tuple[str, ...] = ()


class SmsError(Exception):
    """The message was not sent; `code` is the provider's error code, if any."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None: ...


BACKENDS = {
    "console": "apoint.sms.local.ConsoleBackend",
    "file": "apoint.sms.local.FileBackend",
    "tencent": "apoint.sms.gateways.TencentBackend",
    "aliyun": "apoint.sms.gateways.AliyunBackend",
}


@functools.cache
def get_backend(name: str | None = None) -> SmsBackend:
    name = name or settings.SMS_BACKEND
    try:
        path = BACKENDS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"SMS_BACKEND={name!r} is unknown: use one of {', '.join(BACKENDS)}."
        ) from None
    backend: SmsBackend = import_string(path)()
    return backend


def send_sms(message: SmsMessage) -> None:
    """Send `message` or raise SmsError. Every try counts against the budget."""
    # Imported here because apoint.sms.budget imports SmsError from here.
    from apoint.sms.budget import spend_budget

    spend_budget(message)
    get_backend().send(message)
