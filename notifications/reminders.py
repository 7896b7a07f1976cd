"""Visit reminders: three days before the wanted date and on the day.

Each is due at 08:00 Asia/Shanghai on its day and may go out until that
day ends. After that it is cancelled as expired, because the family can no
longer act on it. Reminders exist only while the
order is confirmed (status 3) and always match its current wanted date.
"""

import datetime
import logging
import zoneinfo

from django.db.models import Q
from django.utils import timezone

from apoint.models import Order
from apoint.statuses import OrderStatus
from notifications.models import REMINDER_KINDS, Notification

logger = logging.getLogger(__name__)

REMINDER_TIME_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
REMINDER_HOUR = 8
# Days before the wanted date that each reminder is due.
DAYS_BEFORE = {
    Notification.Kind.REMINDER_3_DAYS: 3,
    Notification.Kind.REMINDER_DAY: 0,
}


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(REMINDER_TIME_ZONE).date()


def due_at(day: datetime.date) -> datetime.datetime:
    """Return 08:00 Asia/Shanghai on `day`."""
    return datetime.datetime.combine(
        day, datetime.time(REMINDER_HOUR), tzinfo=REMINDER_TIME_ZONE
    )


def wanted_reminders(
    order: Order, now: datetime.datetime
) -> dict[Notification.Kind, datetime.date]:
    """Return the reminders `order` should have: kind -> due day.

    A reminder whose day has already ended is left out, so confirming an
    order two days ahead schedules only the reminder on the day.
    """
    if order.status != OrderStatus.CONFIRMED:
        return {}
    today = local_date(now)
    wanted = {}
    for kind, days in DAYS_BEFORE.items():
        day = order.want_date - datetime.timedelta(days=days)
        if day >= today:
            wanted[kind] = day
    return wanted


def reminders_sync(*, order: Order, now: datetime.datetime | None = None) -> None:
    """Make the order's unsent reminders match its status and wanted date.

    Pending reminders that no longer fit are cancelled, missing ones are
    created, and a cancelled one that fits again is made pending again. A
    reminder already sent, or being sent, is left alone, and the unique
    (order, kind, day) constraint keeps a second row from being created.
    """
    now = now or timezone.now()
    wanted = wanted_reminders(order, now)
    keep = Q(pk__in=[])
    for kind, day in wanted.items():
        keep |= Q(kind=kind, due_date=day)
    cancelled = (
        Notification.objects.filter(
            order=order, kind__in=REMINDER_KINDS, status=Notification.Status.PENDING
        )
        .exclude(keep)
        .update(
            status=Notification.Status.CANCELLED,
            last_error="预约状态或日期已变更",
        )
    )
    for kind, day in wanted.items():
        Notification.objects.filter(
            order=order, kind=kind, due_date=day, status=Notification.Status.CANCELLED
        ).update(
            status=Notification.Status.PENDING,
            tries=0,
            last_error="",
            next_attempt_at=due_at(day),
            openid=order.patient_openid,
            phone=order.phone,
        )
    Notification.objects.bulk_create(
        [
            Notification(
                order=order,
                kind=kind,
                recipient=Notification.Recipient.FAMILY,
                openid=order.patient_openid,
                phone=order.phone,
                due_date=day,
                next_attempt_at=due_at(day),
            )
            for kind, day in wanted.items()
        ],
        ignore_conflicts=True,
    )
    if cancelled or wanted:
        logger.info(
            "order %s reminders: %s due (%s), %s cancelled",
            order.pk,
            len(wanted),
            ", ".join(day.isoformat() for day in wanted.values()) or "none",
            cancelled,
        )


def reminder_is_current(notification: Notification, now: datetime.datetime) -> bool:
    """Return whether a claimed reminder should still go out at `now`."""
    order = notification.order
    days = DAYS_BEFORE[Notification.Kind(notification.kind)]
    return (
        notification.due_date is not None
        and order.status == OrderStatus.CONFIRMED
        and order.want_date - datetime.timedelta(days=days) == notification.due_date
        and local_date(now) == notification.due_date
        and now >= due_at(notification.due_date)
    )


def reminders_sweep(*, now: datetime.datetime | None = None) -> int:
    """Sync reminders of confirmed orders whose visit is at most 3 days away.

    A safety net for wanted dates changed without saving the order through
    the ORM (a bulk update, SQL): the signal handlers cover every other path.
    """
    now = now or timezone.now()
    today = local_date(now)
    orders = Order.objects.filter(
        status=OrderStatus.CONFIRMED,
        want_date__gte=today,
        want_date__lte=today + datetime.timedelta(days=max(DAYS_BEFORE.values())),
    )
    count = 0
    for order in orders.iterator():
        reminders_sync(order=order, now=now)
        count += 1
    return count
