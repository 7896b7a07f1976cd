"""The privacy audit: who read a patient's record, and through which channel."""

import logging

from django.contrib.auth.models import AbstractBaseUser

from apoint.models import AccessRecord, StaffMember

logger = logging.getLogger(__name__)


def access_record_add(
    *,
    order_id: int,
    channel: AccessRecord.Channel,
    staff: StaffMember | None = None,
    user: AbstractBaseUser | None = None,
) -> AccessRecord:
    record = AccessRecord.objects.create(
        order_id=order_id,
        channel=channel,
        staff=staff,
        user_id=user.pk if user else None,
    )
    logger.debug(
        "order %s read through %s by user %s",
        order_id,
        channel,
        user.pk if user else None,
    )
    return record
