"""Signal receivers: order history rows become notifications.

Rows are written inside the transaction that wrote the history row, so a
rolled-back action leaves no message behind, and sending waits for the
commit (transaction.on_commit).
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from apoint.models import Order, OrderEvent
from apoint.signals import order_event_recorded
from apoint.statuses import OrderStatus
from notifications.delivery import deliver_now
from notifications.models import Notification
from notifications.reminders import reminders_sync

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Recipient = Notification.Recipient

# Messages per new status: status -> [(kind, recipient)].
STATUS_MESSAGES = {
    OrderStatus.CONFIRMED: [
        (Kind.ORDER_CONFIRMED, Recipient.FAMILY),
        (Kind.SALES_ORDER_CONFIRMED, Recipient.SALESPERSON),
    ],
    OrderStatus.POSTPONED: [(Kind.ORDER_POSTPONED, Recipient.FAMILY)],
    OrderStatus.TRANSFERRED: [(Kind.SALES_ORDER_TRANSFERRED, Recipient.SALESPERSON)],
}

# In "thread" mode one background thread sends, so a request does not wait
# on WeChat or SMS.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify")


def messages_for_event(event: OrderEvent) -> list[tuple[str, str]]:
    """Return the (kind, recipient) pairs that `event` sends."""
    if event.kind == OrderEvent.Kind.SUBMITTED:
        return [(Kind.ORDER_SUBMITTED, Recipient.FAMILY)]
    if event.from_status == event.to_status:
        # A repeated memo or status with no change sends nothing new.
        return []
    return list(STATUS_MESSAGES.get(OrderStatus(event.to_status), []))


def _recipient_address(order: Order, recipient: str) -> tuple[str, str] | None:
    if recipient == Recipient.FAMILY:
        return order.patient_openid, order.phone
    salesperson = order.salesperson
    if salesperson is None:
        return None
    return salesperson.openid or "", salesperson.phone


@receiver(order_event_recorded, dispatch_uid="notifications.on_order_event")
def on_order_event(sender: Any, event: OrderEvent, order: Order, **kwargs: Any) -> None:
    now = timezone.now()
    rows = []
    for kind, recipient in messages_for_event(event):
        address = _recipient_address(order, recipient)
        if address is None:
            logger.info("order %s has no salesperson: %s not sent", order.pk, kind)
            continue
        openid, phone = address
        rows.append(
            Notification(
                order=order,
                event=event,
                kind=kind,
                recipient=recipient,
                openid=openid,
                phone=phone,
                next_attempt_at=now,
            )
        )
    if OrderStatus.CONFIRMED in {event.from_status, event.to_status}:
        reminders_sync(order=order, now=now)
    if not rows:
        return
    # A second announcement of the same event hits the unique (event,
    # recipient) constraint and adds nothing. ignore_conflicts leaves the
    # primary keys unset, so they are read back.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(Notification.objects.filter(event=event).values_list("pk", flat=True))
    transaction.on_commit(lambda: send_after_commit(ids))


@receiver(post_save, sender=Order, dispatch_uid="notifications.on_order_saved")
def on_order_saved(
    sender: Any,
    instance: Order,
    created: bool,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    """Recompute reminders when an order's wanted date may have changed.

    The status is read back from the database because `instance` may be
    stale when only want_date was saved.
    """
    if created:
        return
    if update_fields is not None and "want_date" not in update_fields:
        return
    order = Order.objects.filter(pk=instance.pk).first()
    if order is not None:
        reminders_sync(order=order)


def send_after_commit(ids: list[int]) -> None:
    """Send new notifications in the mode NOTIFICATIONS_DELIVERY sets.

    "thread" sends in a background thread of this process, "inline" sends
    before returning (tests), and "worker" leaves them to the worker.
    """
    mode = settings.NOTIFICATIONS_DELIVERY
    if mode == "worker":
        return
    if mode == "inline":
        deliver_now(ids)
        return
    _executor.submit(_send_in_thread, ids)


def _send_in_thread(ids: list[int]) -> None:
    try:
        deliver_now(ids)
    except Exception:
        # The worker retries whatever this thread could not send.
        logger.exception("sending notifications %s after commit failed", ids)
    finally:
        # The thread's own database connection.
        connections.close_all()
