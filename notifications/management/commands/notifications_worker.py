import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from notifications.delivery import deliver_due
from notifications.reminders import reminders_sweep

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send due notifications and visit reminders, retrying failures with "
        "backoff. Loops until SIGTERM or SIGINT unless --once is given; several "
        "workers may run at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Send what is due now and exit (for cron).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Seconds between rounds when looping (default 30).",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=50,
            help="Notifications claimed per round (default 50).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        if not options["once"]:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        logger.info("notifications worker started (once=%s)", options["once"])
        while True:
            sent = self._round(options["batch"])
            if options["once"] or self.stopping:
                break
            if sent < options["batch"]:
                self._sleep(options["interval"])
            if self.stopping:
                break
            # Drop a connection the database closed while this slept.
            close_old_connections()
        logger.info("notifications worker stopped")

    def _round(self, batch: int) -> int:
        try:
            reminders_sweep()
            sent = deliver_due(limit=batch)
        except DatabaseError:
            # The database is down or locked: try again next round.
            logger.exception("notifications round failed")
            return 0
        if sent:
            self.stdout.write(f"{sent} notifications processed")
        return sent

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(1.0, deadline - time.monotonic()))

    def _stop(self, signum: int, frame: object) -> None:
        logger.info("notifications worker stopping on signal %s", signum)
        self.stopping = True
