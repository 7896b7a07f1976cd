"""Verification codes: sending them and checking them."""

import datetime
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apoint import ratelimit
from apoint.errors import MSG_CODE_INVALID, ApiError, Ret, rate_limited
from apoint.logmask import mask_phone
from apoint.models import StaffMember, VerificationCode
from apoint.sms import SmsError, SmsMessage, send_sms

logger = logging.getLogger(__name__)

CODE_TEXT = "您的验证码是{code}，5分钟内有效。如非本人操作，请忽略本短信。"
CODE_TEMPLATE = "verification_code"


def _hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def check_send_limits(*, phone: str, client_ip: str) -> None:
    """Count one send request against every limit, or raise ret 4."""
    ip_hit = ratelimit.hit(f"code-ip:{client_ip}", 3600)
    if ip_hit.count > settings.APOINT_CODE_HOURLY_IP_LIMIT:
        raise rate_limited(ip_hit.retry_after)
    resend_hit = ratelimit.hit(
        f"code-resend:{phone}", settings.APOINT_CODE_RESEND_SECONDS
    )
    if resend_hit.count > 1:
        raise rate_limited(resend_hit.retry_after)
    daily_hit = ratelimit.hit(f"code-daily:{phone}", 86400)
    if daily_hit.count > settings.APOINT_CODE_DAILY_LIMIT:
        raise rate_limited(daily_hit.retry_after)


def code_send(*, phone: str, client_ip: str) -> None:
    """Send a new code to `phone` if it is on the active roster.

    Callers get the same outcome whether or not the phone is on the roster,
    so the endpoint does not reveal who is. A failed send leaves no code.
    """
    check_send_limits(phone=phone, client_ip=client_ip)
    if not StaffMember.objects.filter(phone=phone, is_active=True).exists():
        logger.info("code requested for %s, not on the roster", mask_phone(phone))
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    VerificationCode.objects.update_or_create(
        phone=phone,
        defaults={
            "code_hash": _hash(phone, code),
            "created_at": now,
            "expires_at": now
            + datetime.timedelta(seconds=settings.APOINT_CODE_TTL_SECONDS),
            "failed_attempts": 0,
            "used_at": None,
        },
    )
    message = SmsMessage(
        phone=phone,
        text=CODE_TEXT.format(code=code),
        template=CODE_TEMPLATE,
        params=(code,),
    )
    try:
        send_sms(message)
    except SmsError as error:
        VerificationCode.objects.filter(phone=phone, created_at=now).delete()
        logger.warning(
            "code SMS to %s failed (provider code %s): %s",
            mask_phone(phone),
            error.code or "none",
            error,
        )
        raise ApiError(Ret.UNAVAILABLE, "短信发送失败，请稍后再试") from error
    logger.info("code sent to %s", mask_phone(phone))


def code_verify(*, phone: str, code: str) -> VerificationCode:
    """Return the phone's live code if `code` matches it, else raise ret 3.

    A wrong code counts a failed try; after the last allowed try the code
    is void. The code is not consumed here: see `code_consume`.
    """
    now = timezone.now()
    record = VerificationCode.objects.filter(
        phone=phone, used_at__isnull=True, expires_at__gt=now
    ).first()
    if record is None:
        raise ApiError(Ret.CODE_INVALID, MSG_CODE_INVALID)
    # Take a try before comparing, in one conditional UPDATE, so parallel
    # requests cannot all read the same count and get more guesses than
    # allowed. A match gives its try back. The count stays on the code row
    # in the database, also with Redis: it must live exactly as long as the
    # code, and a Redis restart must not reset it.
    tries = VerificationCode.objects.filter(
        pk=record.pk, failed_attempts__lt=settings.APOINT_CODE_MAX_FAILURES
    )
    if not tries.update(failed_attempts=F("failed_attempts") + 1):
        raise ApiError(Ret.CODE_INVALID, MSG_CODE_INVALID)
    if not hmac.compare_digest(record.code_hash, _hash(phone, code)):
        logger.info("wrong code for %s", mask_phone(phone))
        raise ApiError(Ret.CODE_INVALID, MSG_CODE_INVALID)
    VerificationCode.objects.filter(pk=record.pk).update(
        failed_attempts=F("failed_attempts") - 1
    )
    return record


def code_consume(*, record: VerificationCode) -> None:
    """Mark the code used, or raise ret 3 if another request used it first."""
    assert transaction.get_connection().in_atomic_block
    used = VerificationCode.objects.filter(
        pk=record.pk, code_hash=record.code_hash, used_at__isnull=True
    ).update(used_at=timezone.now())
    if not used:
        raise ApiError(Ret.CODE_INVALID, MSG_CODE_INVALID)
