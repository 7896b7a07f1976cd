"""The daily SMS budget of the whole system."""

import logging

from django.conf import settings
from django.utils import timezone

from apoint import ratelimit
from apoint.logmask import mask_phone
from apoint.sms import SmsError, SmsMessage

logger = logging.getLogger(__name__)

BUDGET_SPENT_CODE = "budget_spent"


def spend_budget(message: SmsMessage) -> None:
    """Count one message against today's budget, or raise SmsError.

    The day is the calendar day in TIME_ZONE (Asia/Shanghai), and the
    counter is shared by every process through apoint.ratelimit. A message
    that later fails still counts, so the budget bounds tries, not
    deliveries.
    """
    budget = settings.SMS_DAILY_BUDGET
    if budget == 0:
        return
    day = timezone.localdate().isoformat()
    # Two days: the counter outlives its day but the key names the day.
    hit = ratelimit.hit(f"sms-budget:{day}", 2 * 86400)
    if hit.count <= budget:
        return
    rejected = hit.count - budget
    # The first rejection of the day is a warning, and later ones log at
    # debug level with a running count, plus a warning every hundredth.
    level = logging.WARNING if rejected == 1 or rejected % 100 == 0 else logging.DEBUG
    logger.log(
        level,
        "daily SMS budget of %s spent on %s: message to %s not sent "
        "(%s rejected today)",
        budget,
        day,
        mask_phone(message.phone),
        rejected,
    )
    raise SmsError(f"daily SMS budget of {budget} spent", code=BUDGET_SPENT_CODE)
