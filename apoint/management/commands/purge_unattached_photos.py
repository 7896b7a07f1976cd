"""Delete uploads that no order took within a day: rows and objects."""

import datetime
import logging
from argparse import ArgumentParser
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from apoint.models import OrderPhoto
from apoint.storage import storage_delete

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE_HOURS = 24
BATCH_SIZE = 500


class Command(BaseCommand):
    help = (
        "Delete photos uploaded more than --hours ago and never attached to an "
        "order, from the database and from storage. Run it hourly from cron or "
        "a systemd timer."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--hours",
            type=int,
            default=DEFAULT_MAX_AGE_HOURS,
            help="age in hours after which an unattached upload is deleted "
            f"(default {DEFAULT_MAX_AGE_HOURS}, minimum 1)",
        )

    def handle(self, *args: Any, hours: int, **options: Any) -> None:
        if hours < 1:
            raise CommandError(f"--hours={hours} is invalid: use 1 or more.")
        cutoff = timezone.now() - datetime.timedelta(hours=hours)
        logger.info("purging photos unattached since before %s", cutoff.isoformat())
        deleted_rows = 0
        failed_objects = 0
        while True:
            names = self._delete_batch(cutoff)
            if not names:
                break
            deleted_rows += len(names)
            # The rows are gone first: a submission can no longer attach
            # them, so deleting the objects cannot strand an order.
            for name in names:
                if not storage_delete(default_storage, name):
                    failed_objects += 1
        logger.info(
            "purged %d unattached photos, %d objects not deleted",
            deleted_rows,
            failed_objects,
        )
        self.stdout.write(
            f"Deleted {deleted_rows} unattached photos older than {hours} hours."
        )
        if failed_objects:
            # NOTE: these objects have no row left, so a later run does not
            # see them; the log lists their keys for a manual delete.
            raise CommandError(
                f"{failed_objects} objects could not be deleted from storage; "
                "their keys are in the log."
            )

    def _delete_batch(self, cutoff: datetime.datetime) -> list[str]:
        """Delete up to BATCH_SIZE old unattached rows; return their names."""
        with transaction.atomic():
            # skip_locked leaves rows that a submission is attaching now.
            rows = list(
                OrderPhoto.objects.select_for_update(skip_locked=True)
                .filter(order__isnull=True, uploaded_at__lt=cutoff)
                .values_list("pk", "file")[:BATCH_SIZE]
            )
            if not rows:
                return []
            OrderPhoto.objects.filter(
                pk__in=[pk for pk, _ in rows], order__isnull=True
            ).delete()
        return [name for _, name in rows]
