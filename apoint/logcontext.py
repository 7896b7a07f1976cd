"""Log filters: the current request id on every record, personal data masked.

This module imports no models, because Django configures logging before
the app registry is ready.
"""

import contextvars
import logging
import re

from apoint.logmask import mask_openid, mask_phone

# "-" outside a request (start-up, management commands).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default="-"
)

# Mainland mobile numbers, with or without the 86 country code, and WeChat
# openids (28 URL-safe characters, starting with "o"). Neighbouring digits
# or id characters mean the match is part of a longer token, which is left
# alone.
_PHONE = re.compile(r"(?<!\d)(86)?(1[3-9]\d{9})(?!\d)")
_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")


def mask_text(text: str) -> str:
    """Mask every phone number and openid in `text`."""
    text = _PHONE.sub(
        lambda match: (match.group(1) or "") + mask_phone(match.group(2)), text
    )
    return _OPENID.sub(lambda match: mask_openid(match.group()), text)


class RequestIdFilter(logging.Filter):
    """Set `record.request_id` to the id of the request being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class MaskFilter(logging.Filter):
    """Mask phone numbers and openids that reached a message unmasked.

    Code is expected to mask with `apoint.logmask` itself; this filter is
    the second line, for values that arrive inside error texts.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
