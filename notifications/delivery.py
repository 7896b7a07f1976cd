"""Sending claimed notifications: WeChat template message, SMS fallback.

Event messages go by WeChat when the recipient has an openid and a
template is configured, and by SMS when WeChat is not possible or refuses
with one of FALLBACK_ERRCODES. Visit reminders go by both channels. A
channel that has delivered is never tried again, so a retry repeats only
what failed.
"""

import datetime
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from wechatpy.exceptions import WeChatClientException

from apoint.logmask import mask_openid, mask_phone
from apoint.sms import SmsError, SmsMessage, send_sms
from notifications.models import Notification
from notifications.reminders import reminder_is_current
from notifications.texts import RenderedMessage, render
from wechat import client as wechat_client

logger = logging.getLogger(__name__)

Status = Notification.Status
Channel = Notification.Channel

# WeChat errcodes after which SMS is sent instead: 43004 the user does not
# follow the account, 43101 the user refused the message, 40003 invalid
# openid.
FALLBACK_ERRCODES = frozenset({43004, 43101, 40003})
MAX_TRIES = 6
# A claim older than this belongs to a worker that died mid-send.
# NOTE: if that worker had sent but not yet recorded the message, releasing
# the claim sends it a second time: delivery is at least once, not exactly.
STALE_CLAIM = datetime.timedelta(minutes=10)


def retry_delay(tries: int) -> datetime.timedelta:
    """Return the wait before try `tries + 1`: 1, 2, 4 ... minutes, at most 1 hour."""
    return datetime.timedelta(seconds=min(60 * 2 ** max(tries - 1, 0), 3600))


def claim(
    *, now: datetime.datetime, ids: Iterable[int] | None = None, limit: int = 50
) -> list[int]:
    """Mark due pending notifications as sending and return their ids.

    Two workers never get the same row: the claim is a conditional update
    from pending to sending under a fresh token, after a SELECT ... FOR
    UPDATE SKIP LOCKED on databases that have it. Rows left sending by a
    dead worker are released first.
    """
    token = uuid.uuid4().hex
    with transaction.atomic():
        Notification.objects.filter(
            status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM
        ).update(status=Status.PENDING, claim_token="")
        due = Notification.objects.filter(
            status=Status.PENDING, next_attempt_at__lte=now
        )
        if ids is not None:
            due = due.filter(pk__in=list(ids))
        candidates = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not candidates:
            return []
        Notification.objects.filter(pk__in=candidates, status=Status.PENDING).update(
            status=Status.SENDING,
            claim_token=token,
            claimed_at=now,
            tries=F("tries") + 1,
        )
    return list(
        Notification.objects.filter(claim_token=token, status=Status.SENDING)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)
    )


def deliver(notification_id: int) -> Notification:
    """Send one claimed notification and record the outcome."""
    notification = Notification.objects.select_related(
        "order__hospital__notification_texts"
    ).get(pk=notification_id)
    now = timezone.now()
    if notification.is_reminder and not reminder_is_current(notification, now):
        return _finish(notification, Status.CANCELLED, "预约已变更或提醒已过期")

    message = render(notification)
    errors: list[str] = []
    wechat_possible = _wechat_possible(notification)
    wechat_rejected = False
    if wechat_possible and notification.wechat_sent_at is None:
        wechat_rejected = _try_wechat(notification, message, errors)

    needs_sms = notification.is_reminder or not wechat_possible or wechat_rejected
    if needs_sms and notification.sms_sent_at is None:
        if notification.phone:
            _try_sms(notification, message, errors)
        elif not notification.wechat_sent_at:
            errors.append("no phone number for SMS")

    if errors or not (notification.wechat_sent_at or notification.sms_sent_at):
        return _retry_or_fail(notification, "; ".join(errors) or "nothing was sent")
    return _finish(notification, Status.SENT, "")


def _try_wechat(
    notification: Notification, message: RenderedMessage, errors: list[str]
) -> bool:
    """Send the WeChat message; return True if WeChat rejected it for good."""
    try:
        _send_wechat(notification, message)
    except WeChatClientException as error:
        if error.errcode in FALLBACK_ERRCODES:
            logger.info(
                "notification %s: WeChat rejected %s (errcode %s), falling back to SMS",
                notification.pk,
                mask_openid(notification.openid),
                error.errcode,
            )
            return True
        errors.append(f"WeChat errcode {error.errcode}: {error.errmsg}")
    except wechat_client.TransportError as error:
        errors.append(f"WeChat unreachable: {error}")
    else:
        notification.wechat_sent_at = timezone.now()
    return False


def _try_sms(
    notification: Notification, message: RenderedMessage, errors: list[str]
) -> None:
    try:
        _send_sms(notification, message)
    except SmsError as error:
        errors.append(f"SMS failed ({error.code or 'no code'}): {error}")
    else:
        notification.sms_sent_at = timezone.now()


def _wechat_possible(notification: Notification) -> bool:
    return bool(
        notification.openid
        and settings.WECHAT_TEMPLATE_IDS.get(notification.kind)
        and wechat_client.is_configured()
    )


def _send_wechat(notification: Notification, message: RenderedMessage) -> None:
    data = {
        "first": {"value": message.text},
        "keyword1": {"value": message.values["hospital"]},
        "keyword2": {"value": message.values["date"]},
        "keyword3": {"value": message.values["order_id"]},
        "remark": {"value": ""},
    }
    wechat_client.ApiClient().message.send_template(
        notification.openid, settings.WECHAT_TEMPLATE_IDS[notification.kind], data
    )
    logger.info(
        "notification %s sent by WeChat to %s",
        notification.pk,
        mask_openid(notification.openid),
    )


def _send_sms(notification: Notification, message: RenderedMessage) -> None:
    send_sms(
        SmsMessage(
            phone=notification.phone,
            text=message.text,
            template=notification.kind,
            params=message.sms_params,
            param_names=message.sms_param_names,
        )
    )
    logger.info(
        "notification %s sent by SMS to %s",
        notification.pk,
        mask_phone(notification.phone),
    )


def _channel(notification: Notification) -> str:
    if notification.wechat_sent_at and notification.sms_sent_at:
        return Channel.WECHAT_AND_SMS
    if notification.wechat_sent_at:
        return Channel.WECHAT
    if notification.sms_sent_at:
        return Channel.SMS
    return Channel.NONE


def _finish(notification: Notification, status: str, error: str) -> Notification:
    notification.status = status
    notification.last_error = error
    notification.channel = _channel(notification)
    notification.claim_token = ""
    if status == Status.SENT:
        notification.sent_at = timezone.now()
    notification.save(
        update_fields=[
            "status",
            "last_error",
            "channel",
            "claim_token",
            "sent_at",
            "wechat_sent_at",
            "sms_sent_at",
        ]
    )
    logger.info(
        "notification %s (%s, order %s) %s after %s tries",
        notification.pk,
        notification.kind,
        notification.order_id,
        status,
        notification.tries,
    )
    return notification


def _retry_or_fail(notification: Notification, error: str) -> Notification:
    if notification.tries >= MAX_TRIES:
        logger.error(
            "notification %s (%s, order %s) failed after %s tries: %s",
            notification.pk,
            notification.kind,
            notification.order_id,
            notification.tries,
            error,
        )
        return _finish(notification, Status.FAILED, error)
    delay = retry_delay(notification.tries)
    notification.status = Status.PENDING
    notification.last_error = error
    notification.channel = _channel(notification)
    notification.claim_token = ""
    notification.next_attempt_at = timezone.now() + delay
    notification.save(
        update_fields=[
            "status",
            "last_error",
            "channel",
            "claim_token",
            "next_attempt_at",
            "wechat_sent_at",
            "sms_sent_at",
        ]
    )
    logger.warning(
        "notification %s (%s, order %s) try %s failed, retrying in %s s: %s",
        notification.pk,
        notification.kind,
        notification.order_id,
        notification.tries,
        int(delay.total_seconds()),
        error,
    )
    return notification


def deliver_due(*, now: datetime.datetime | None = None, limit: int = 50) -> int:
    """Claim and send one batch of due notifications, and return its size."""
    ids = claim(now=now or timezone.now(), limit=limit)
    for notification_id in ids:
        deliver_claimed(notification_id)
    return len(ids)


def deliver_claimed(notification_id: int) -> None:
    """Send one claimed notification, putting it back for a retry on a bug."""
    try:
        deliver(notification_id)
    except Exception:
        # One broken message must not stop the others: log it and put the
        # row back for a later try.
        logger.exception(
            "notification %s: unexpected error while sending", notification_id
        )
        Notification.objects.filter(pk=notification_id, status=Status.SENDING).update(
            status=Status.PENDING,
            claim_token="",
            next_attempt_at=timezone.now() + retry_delay(1),
            last_error="unexpected error, see the worker log",
        )


def deliver_now(ids: list[int]) -> None:
    """Claim and send these notifications right away, if they are due."""
    for notification_id in claim(now=timezone.now(), ids=ids):
        deliver_claimed(notification_id)
