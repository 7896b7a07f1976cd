"""SMS backends that reach nobody: for local use and tests."""

import logging
import secrets
import sys
from typing import TextIO

from django.conf import settings
from django.utils import timezone

from apoint.logmask import mask_phone
from apoint.sms import SmsError, SmsMessage

logger = logging.getLogger(__name__)


class ConsoleBackend:
    """Write each message to standard error, like Django's console mail.

    The text goes to the stream, not to the log, because it contains the code.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: SmsMessage) -> None:
        stream = self.stream or sys.stderr
        stream.write(f"[SMS to {message.phone}] {message.text}\n")
        stream.flush()
        logger.info("console SMS to %s", mask_phone(message.phone))


class FileBackend:
    """Write each message to its own file under SMS_FILE_PATH."""

    def send(self, message: SmsMessage) -> None:
        folder = settings.SMS_FILE_PATH
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"{stamp}-{message.phone}-{secrets.token_hex(4)}.txt"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(f"phone: {message.phone}\n\n{message.text}\n")
        except OSError as error:
            raise SmsError(f"could not write {path}: {error}") from error
        logger.info("file SMS to %s written", mask_phone(message.phone))
