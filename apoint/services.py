"""Writes: every change to orders and staff goes through these functions."""

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from apoint import codes
from apoint.errors import (
    MSG_ALREADY_BOUND,
    MSG_CODE_INVALID,
    MSG_ORDER_IN_PROGRESS,
    MSG_ROSTER_BOUND_ELSEWHERE,
    MSG_ROSTER_MISMATCH,
    ApiError,
    Ret,
    invalid,
)
from apoint.logmask import mask_openid, mask_phone
from apoint.models import (
    AccessRecord,
    Hospital,
    Memo,
    Order,
    OrderEvent,
    OrderPhoto,
    Province,
    Remark,
    StaffMember,
)
from apoint.signals import order_event_recorded
from apoint.statuses import (
    MEMO_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
    Actor,
    OrderStatus,
    allowed_next_statuses,
)

logger = logging.getLogger(__name__)


def record_event(*, order: Order, **fields: Any) -> OrderEvent:
    """Write one history row of `order` and announce it to listeners."""
    event = OrderEvent.objects.create(order=order, **fields)
    order_event_recorded.send(sender=OrderEvent, event=event, order=order)
    return event


def staff_bind(
    *, openid: str, name: str, email: str, phone: str, code: str
) -> StaffMember:
    """Bind `openid` to the roster entry with this phone and name.

    The code check, the roster check and the binding run in one transaction
    that holds the code's row lock, so of many requests with one code only
    the first binds and the others find the code used (ret 3).
    """
    if StaffMember.objects.filter(openid=openid).exists():
        raise ApiError(Ret.ALREADY_BOUND, MSG_ALREADY_BOUND)
    staff = None
    try:
        with transaction.atomic():
            record = codes.code_verify(phone=phone, code=code)
            if record is not None:
                staff = (
                    StaffMember.objects.select_for_update()
                    .filter(phone=phone, name=name, is_active=True)
                    .first()
                )
            if staff is not None and not staff.openid:
                assert record is not None
                codes.code_consume(record=record)
                staff.openid = openid
                staff.email = email or staff.email
                staff.bound_at = timezone.now()
                staff.save(update_fields=["openid", "email", "bound_at"])
                bound = True
            else:
                bound = False
    except IntegrityError:
        # A concurrent request bound this openid to another roster entry.
        raise ApiError(Ret.ALREADY_BOUND, MSG_ALREADY_BOUND) from None
    if record is None:
        raise ApiError(Ret.CODE_INVALID, MSG_CODE_INVALID)
    if staff is None:
        raise ApiError(Ret.CONFLICT, MSG_ROSTER_MISMATCH)
    if not bound:
        raise ApiError(Ret.CONFLICT, MSG_ROSTER_BOUND_ELSEWHERE)
    logger.info(
        "staff %s bound to openid %s (phone %s)",
        staff.pk,
        mask_openid(openid),
        mask_phone(phone),
    )
    return staff


def staff_unbind(*, staff: StaffMember) -> None:
    StaffMember.objects.filter(pk=staff.pk).update(openid=None, bound_at=None)
    logger.info("staff %s unbound", staff.pk)


def order_submit(
    *,
    openid: str,
    name: str,
    birthday: datetime.date,
    sex: str,
    phone: str,
    province: Province,
    hospital: Hospital,
    want_date: datetime.date,
    description: str,
    photo_names: Sequence[str],
) -> Order:
    """Create an unclaimed order and attach its uploaded photos.

    Raises ret 1 when the patient already has an open order; a partial
    unique index enforces that rule under concurrent submissions too.
    """
    if _has_open_order(openid):
        raise ApiError(Ret.CONFLICT, MSG_ORDER_IN_PROGRESS)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                patient_openid=openid,
                name=name,
                birthday=birthday,
                sex=sex,
                phone=phone,
                province=province,
                hospital=hospital,
                want_date=want_date,
                description=description,
                status=OrderStatus.UNCLAIMED,
            )
            _attach_photos(order, photo_names)
            record_event(
                order=order,
                kind=OrderEvent.Kind.SUBMITTED,
                from_status=None,
                to_status=OrderStatus.UNCLAIMED,
            )
    except IntegrityError:
        if _has_open_order(openid):
            raise ApiError(Ret.CONFLICT, MSG_ORDER_IN_PROGRESS) from None
        raise
    logger.info("order %s submitted by %s", order.pk, mask_openid(openid))
    return order


def _has_open_order(openid: str) -> bool:
    return Order.objects.filter(
        patient_openid=openid, status__in=OPEN_STATUSES
    ).exists()


def _attach_photos(order: Order, photo_names: Sequence[str]) -> None:
    """Attach unattached uploads to `order`, in the given order."""
    if len(set(photo_names)) != len(photo_names):
        raise invalid("photo", "包含重复的图片")
    photos = {
        photo.file.name: photo
        for photo in OrderPhoto.objects.select_for_update().filter(
            file__in=photo_names, order__isnull=True
        )
    }
    missing = [name for name in photo_names if name not in photos]
    if missing:
        raise invalid("photo", "包含不是本服务上传的图片，请重新上传")
    for position, name in enumerate(photo_names):
        photo = photos[name]
        photo.order = order
        photo.position = position
    OrderPhoto.objects.bulk_update(photos.values(), ["order", "position"])


def _lock_order(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise ApiError(Ret.NOT_FOUND, "预约单不存在") from None


def _check_transition(
    actor: Actor, order: Order, new_status: OrderStatus, today: datetime.date
) -> None:
    current = OrderStatus(order.status)
    if new_status not in allowed_next_statuses(actor, current):
        raise ApiError(
            Ret.INVALID,
            f"状态不能从「{STATUS_LABELS[current]}」({current.value}) "
            f"变为「{STATUS_LABELS[new_status]}」({new_status.value})",
        )
    if new_status == OrderStatus.NO_SHOW and order.want_date > today:
        raise ApiError(
            Ret.INVALID,
            f"预约日期 {order.want_date.isoformat()} 还没到，"
            "不能记录为「确认未到诊」(14)",
        )


def memo_record(
    *,
    order_id: int,
    salesperson: StaffMember,
    text: str,
    status: OrderStatus,
    next_call_date: datetime.date | None = None,
) -> Memo:
    """Store a salesperson's memo and move the order to its status."""
    if status not in MEMO_STATUSES:
        raise invalid("types", "必须是 6、11、12、13、14 之一")
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.salesperson_id != salesperson.pk or (
            order.status == OrderStatus.UNCLAIMED
        ):
            raise ApiError(Ret.FORBIDDEN, "未认证或无权限")
        today = timezone.localdate()
        _check_transition(Actor.SALESPERSON, order, status, today)
        memo = Memo.objects.create(
            order=order, salesperson=salesperson, text=text, status=status
        )
        previous = order.status
        order.status = status
        fields = ["status", "updated_at"]
        if next_call_date is not None:
            order.next_call_date = next_call_date
            fields.append("next_call_date")
        order.save(update_fields=fields)
        record_event(
            order=order,
            kind=OrderEvent.Kind.STATUS,
            staff=salesperson,
            from_status=previous,
            to_status=status,
            remark=text,
        )
    logger.info(
        "memo %s on order %s by staff %s: status %s -> %s",
        memo.pk,
        order.pk,
        salesperson.pk,
        previous,
        status.value,
    )
    return memo


def order_claim(
    *,
    order_id: int,
    owner: StaffMember,
    user: AbstractBaseUser | None = None,
) -> Order:
    """Make `owner` the customer-service owner of an order that has none.

    An unclaimed order becomes claimed, and its salesperson becomes the
    hospital's responsible one unless the back office already assigned
    another. An open order assigned to a salesperson before anyone claimed
    it (assign_order, the admin) keeps its status.
    """
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.owner_id is not None or order.status not in OPEN_STATUSES:
            raise ApiError(Ret.CONFLICT, "该预约单已被认领")
        previous = order.status
        order.owner = owner
        if order.salesperson_id is None:
            order.salesperson_id = (
                Hospital.objects.filter(pk=order.hospital_id)
                .values_list("salesperson_id", flat=True)
                .first()
            )
        if previous == OrderStatus.UNCLAIMED:
            order.status = OrderStatus.CLAIMED
        order.save(update_fields=["owner", "salesperson", "status", "updated_at"])
        record_event(
            order=order,
            kind=OrderEvent.Kind.CLAIMED,
            staff=owner,
            user=user,
            from_status=previous,
            to_status=order.status,
        )
    logger.info("order %s claimed by staff %s", order.pk, owner.pk)
    return order


def order_assign(
    *,
    order_id: int,
    salesperson: StaffMember,
    user: AbstractBaseUser | None = None,
    owner: StaffMember | None = None,
) -> Order:
    """Make `salesperson` the order's salesperson; an unclaimed order
    becomes claimed, so that the salesperson can see it."""
    if not salesperson.is_active or salesperson.role != StaffMember.Role.SALESPERSON:
        raise ApiError(Ret.INVALID, f"{salesperson.name} 不是在职销售，不能分配预约单")
    with transaction.atomic():
        order = _lock_order(order_id)
        previous = order.status
        order.salesperson = salesperson
        fields = ["salesperson", "updated_at"]
        if previous == OrderStatus.UNCLAIMED:
            order.status = OrderStatus.CLAIMED
            fields.append("status")
            if owner is not None and order.owner_id is None:
                order.owner = owner
                fields.append("owner")
        order.save(update_fields=fields)
        record_event(
            order=order,
            kind=OrderEvent.Kind.ASSIGNED,
            staff=owner,
            user=user,
            from_status=previous,
            to_status=order.status,
            remark=f"分配给销售 {salesperson.name}",
        )
    logger.info("order %s assigned to salesperson %s", order.pk, salesperson.pk)
    return order


def order_set_status(
    *,
    order_id: int,
    status: OrderStatus,
    actor: Actor,
    staff: StaffMember | None = None,
    user: AbstractBaseUser | None = None,
    remark: str = "",
    next_call_date: datetime.date | None = None,
) -> Order:
    """Move an order to `status` as customer service or an administrator."""
    with transaction.atomic():
        order = _lock_order(order_id)
        _check_transition(actor, order, status, timezone.localdate())
        previous = order.status
        order.status = status
        order.next_call_date = next_call_date
        order.save(update_fields=["status", "next_call_date", "updated_at"])
        record_event(
            order=order,
            kind=OrderEvent.Kind.STATUS,
            staff=staff,
            user=user,
            from_status=previous,
            to_status=status,
            remark=remark,
        )
        if remark:
            Remark.objects.create(
                order=order,
                author=staff,
                author_name=staff.name if staff else _user_name(user),
                text=remark,
            )
    logger.info("order %s status %s -> %s", order.pk, previous, status.value)
    return order


def remark_add(
    *,
    order: Order,
    text: str,
    staff: StaffMember | None = None,
    user: AbstractBaseUser | None = None,
) -> Remark:
    return Remark.objects.create(
        order=order,
        author=staff,
        author_name=staff.name if staff else _user_name(user),
        text=text,
    )


def _user_name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    get_full_name = getattr(user, "get_full_name", None)
    full_name = get_full_name() if get_full_name else ""
    return full_name or user.get_username()


def access_record_add(
    *,
    order_id: int,
    channel: str,
    staff: StaffMember | None = None,
    user: AbstractBaseUser | None = None,
) -> AccessRecord:
    """Record that a staff member or back-office user read a patient's data."""
    return AccessRecord.objects.create(
        order_id=order_id,
        staff=staff,
        user_id=user.pk if user is not None else None,
        channel=channel,
    )
