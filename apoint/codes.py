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
from apoint.errors import ApiError, Ret, rate_limited
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
        param_names=("code",),
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
        # NOTE: only roster phones reach the gateway, so while it fails this
        # response tells roster phones apart from others.
        raise ApiError(Ret.UNAVAILABLE, "短信发送失败，请稍后再试") from error
    logger.info("code sent to %s", mask_phone(phone))


def code_verify(*, phone: str, code: str) -> VerificationCode | None:
    """Lock the phone's code and return it if `code` matches, else None.

    Call it inside a transaction. The row lock makes concurrent uses of one
    code wait, so only the first can consume it. A wrong code counts a failed
    try that the caller must commit, so this returns None instead of raising.
    After the last allowed try the code is void.
    """
    assert transaction.get_connection().in_atomic_block
    record = VerificationCode.objects.select_for_update().filter(phone=phone).first()
    if record is None or record.used_at is not None:
        return None
    if record.expires_at <= timezone.now():
        return None
    if record.failed_attempts >= settings.APOINT_CODE_MAX_FAILURES:
        return None
    if not hmac.compare_digest(record.code_hash, _hash(phone, code)):
        record.failed_attempts = F("failed_attempts") + 1
        record.save(update_fields=["failed_attempts"])
        logger.info("wrong code for %s", mask_phone(phone))
        return None
    return record


def code_consume(*, record: VerificationCode) -> None:
    """Mark a code that `code_verify` returned as used."""
    record.used_at = timezone.now()
    record.save(update_fields=["used_at"])
