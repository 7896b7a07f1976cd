"""Back-office writes, built on the core services in apoint.services."""

import datetime
import logging
from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apoint import services as core
from apoint.errors import ApiError, Ret, invalid
from apoint.models import (
    AccessRecord,
    Hospital,
    Memo,
    Order,
    OrderEvent,
    OrderPhoto,
    Remark,
    StaffMember,
)
from apoint.statuses import (
    FOLLOW_UP_DUE_STATUSES,
    OPEN_STATUSES,
    Actor,
    OrderStatus,
)
from backoffice.models import MemoReadMarker, PatientErasure, Reassignment
from backoffice.roles import ADMINISTRATOR_GROUP, AGENT_GROUP

logger = logging.getLogger(__name__)

ERASED_NAME = "（已删除）"
# NOTE: Order.birthday cannot be NULL, so an erased order keeps this
# placeholder until the core model allows an empty birthday.
ERASED_BIRTHDAY = datetime.date(1900, 1, 1)


def _lock(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise ApiError(Ret.NOT_FOUND, "预约单不存在") from None


def access_record(
    *,
    order_ids: Iterable[int],
    user: User | None,
    staff: StaffMember | None,
    channel: AccessRecord.Channel,
) -> None:
    """Record that `user` read or exported the detail of these orders."""
    AccessRecord.objects.bulk_create(
        AccessRecord(order_id=order_id, user=user, staff=staff, channel=channel)
        for order_id in order_ids
    )


def order_mark_read(*, order_id: int, staff: StaffMember) -> None:
    """Mark the order's memos read and its reassignment to `staff` seen."""
    now = timezone.now()
    MemoReadMarker.objects.update_or_create(
        staff=staff, order_id=order_id, defaults={"read_at": now}
    )
    Reassignment.objects.filter(
        order_id=order_id, to_owner=staff, seen_at__isnull=True
    ).update(seen_at=now)


def order_claim(
    *, order_id: int, staff: StaffMember | None, user: User | None
) -> Order:
    if staff is None:
        raise ApiError(Ret.FORBIDDEN, "只有客服人员可以认领，请先关联员工名册")
    return core.order_claim(order_id=order_id, owner=staff, user=user)


def order_move(
    *,
    order_id: int,
    status: OrderStatus,
    actor: Actor,
    staff: StaffMember | None,
    user: User | None,
    remark: str,
    next_call_date: datetime.date | None,
) -> Order:
    """Move an order to its next status, with a call date for a follow-up one."""
    if status in FOLLOW_UP_DUE_STATUSES and next_call_date is None:
        raise invalid("下次回访日期", f"「{status.label}」需要填写下次回访日期")
    if next_call_date is not None and next_call_date < timezone.localdate():
        raise invalid("下次回访日期", "不能早于今天")
    try:
        return core.order_set_status(
            order_id=order_id,
            status=status,
            actor=actor,
            staff=staff,
            user=user,
            remark=remark,
            next_call_date=next_call_date,
        )
    except IntegrityError:
        # Reopening a closed order breaks one_open_order_per_patient when
        # the patient booked again meanwhile.
        if status in OPEN_STATUSES and _other_open_order(order_id):
            raise ApiError(
                Ret.CONFLICT, "该患者已有进行中的预约单，不能重新打开本单"
            ) from None
        raise


def _other_open_order(order_id: int) -> bool:
    openid = Order.objects.filter(pk=order_id).values_list("patient_openid", flat=True)
    return (
        Order.objects.filter(patient_openid__in=openid, status__in=OPEN_STATUSES)
        .exclude(pk=order_id)
        .exists()
    )


def order_note(
    *,
    order_id: int,
    staff: StaffMember | None,
    user: User | None,
    text: str,
    next_call_date: datetime.date | None,
) -> Remark:
    """Add a remark from a call and set the next call date, status unchanged."""
    if next_call_date is not None and next_call_date < timezone.localdate():
        raise invalid("下次回访日期", "不能早于今天")
    with transaction.atomic():
        order = _lock(order_id)
        if order.status not in OPEN_STATUSES:
            raise ApiError(Ret.CONFLICT, "预约单已结束，请先重新激活")
        remark = core.remark_add(order=order, text=text, staff=staff, user=user)
        if next_call_date is not None:
            order.next_call_date = next_call_date
            order.save(update_fields=["next_call_date", "updated_at"])
    logger.info("remark %s on order %s", remark.pk, order_id)
    return remark


def order_change_hospital(
    *,
    order_id: int,
    hospital: Hospital,
    staff: StaffMember | None,
    user: User | None,
) -> Order:
    """Move an order to `hospital` and route it to that hospital's salesperson."""
    if not hospital.is_active:
        raise invalid("医院", "已停用")
    with transaction.atomic():
        order = _lock(order_id)
        if order.hospital_id == hospital.pk:
            raise invalid("医院", "与当前医院相同")
        previous = Hospital.objects.get(pk=order.hospital_id)
        order.hospital = hospital
        order.province_id = hospital.province_id
        fields = ["hospital", "province", "updated_at"]
        if order.status != OrderStatus.UNCLAIMED:
            # An unclaimed order gets its salesperson when it is claimed.
            order.salesperson_id = hospital.salesperson_id
            fields.append("salesperson")
        order.save(update_fields=fields)
        core.record_event(
            order=order,
            kind=OrderEvent.Kind.HOSPITAL_CHANGED,
            staff=staff,
            user=user,
            from_status=order.status,
            to_status=order.status,
            remark=f"医院从「{previous.name}」改为「{hospital.name}」",
        )
    logger.info(
        "order %s moved from hospital %s to %s", order.pk, previous.pk, hospital.pk
    )
    return order


def order_reassign(
    *, order_id: int, new_owner: StaffMember, user: User | None
) -> Reassignment:
    """Make `new_owner` the order's customer-service owner."""
    if new_owner.role != StaffMember.Role.CUSTOMER_SERVICE or not new_owner.is_active:
        raise invalid("客服", "必须是在职的客服人员")
    with transaction.atomic():
        order = _lock(order_id)
        if order.status == OrderStatus.UNCLAIMED:
            raise ApiError(Ret.CONFLICT, "未认领的预约单请由客服认领")
        if order.owner_id == new_owner.pk:
            raise invalid("客服", "已经是该预约单的客服")
        previous_owner_id = order.owner_id
        order.owner = new_owner
        order.save(update_fields=["owner", "updated_at"])
        core.record_event(
            order=order,
            kind=OrderEvent.Kind.REASSIGNED,
            user=user,
            from_status=order.status,
            to_status=order.status,
            remark=f"转交给客服 {new_owner.name}",
        )
        reassignment = Reassignment.objects.create(
            order=order,
            from_owner_id=previous_owner_id,
            to_owner=new_owner,
            user=user,
        )
    logger.info(
        "order %s reassigned from staff %s to %s",
        order.pk,
        previous_owner_id,
        new_owner.pk,
    )
    return reassignment


def order_merge(*, source_id: int, target_id: int, user: User | None) -> Order:
    """Move everything of order `source_id` into `target_id`, then delete it.

    Both orders must belong to one family: the same openid or the same phone.
    Photos, remarks, memos, history and reassignments move to the target, so
    the reports still count every history row.
    """
    if source_id == target_id:
        raise invalid("合并", "不能与自身合并")
    with transaction.atomic():
        # Rows are locked in id order, so two merges of one pair wait in turn
        # instead of deadlocking.
        orders = {
            order.pk: order
            for order in Order.objects.select_for_update()
            .filter(pk__in=[source_id, target_id])
            .order_by("pk")
        }
        if len(orders) != 2:
            raise ApiError(Ret.NOT_FOUND, "预约单不存在")
        source, target = orders[source_id], orders[target_id]
        erased = PatientErasure.objects.filter(order_id__in=[source_id, target_id])
        if erased.exists():
            raise ApiError(Ret.CONFLICT, "已删除个人信息的预约单不能合并")
        same_family = source.patient_openid == target.patient_openid or (
            source.phone and source.phone == target.phone
        )
        if not same_family:
            raise ApiError(Ret.CONFLICT, "两个预约单的微信和手机号都不同，不是同一家庭")
        if source.status in OPEN_STATUSES and target.status not in OPEN_STATUSES:
            # The target keeps its status, so the open order must be the target.
            raise ApiError(
                Ret.CONFLICT,
                f"预约单 #{source_id} 正在进行中，请在该单页面把本单并入该单",
            )
        last_position = (
            OrderPhoto.objects.filter(order=target).aggregate(Max("position"))[
                "position__max"
            ]
            or 0
        )
        photos = list(OrderPhoto.objects.filter(order=source))
        for offset, photo in enumerate(photos, start=1):
            photo.order = target
            photo.position = last_position + offset
        OrderPhoto.objects.bulk_update(photos, ["order", "position"])
        Remark.objects.filter(order=source).update(order=target)
        Memo.objects.filter(order=source).update(order=target)
        OrderEvent.objects.filter(order=source).update(order=target)
        Reassignment.objects.filter(order=source).update(order=target)
        source.delete()
        core.record_event(
            order=target,
            kind=OrderEvent.Kind.MERGED,
            user=user,
            from_status=target.status,
            to_status=target.status,
            remark=f"合并了预约单 #{source_id}",
        )
    logger.info("order %s merged into %s", source_id, target_id)
    return target


def patient_erase(*, order_id: int, user: User | None) -> list[int]:
    """Remove the personal data of the patient behind `order_id`.

    The patient's orders are those with the same openid and patient name, so
    a sibling booked from the same WeChat account keeps theirs. Each loses
    its name, phone, openid, birthday, description, remarks, memo and history
    texts, and its photos, in storage too. Ids, hospitals, want dates and
    statuses stay for the reports. An open order is paused first, with a
    history row. Returns the erased order ids.
    """
    with transaction.atomic():
        first = _lock(order_id)
        if PatientErasure.objects.filter(order_id=first.pk).exists():
            raise ApiError(Ret.CONFLICT, "该患者的个人信息已删除")
        orders = list(
            Order.objects.select_for_update()
            .filter(
                Q(pk=first.pk) | Q(patient_openid=first.patient_openid, name=first.name)
            )
            .order_by("pk")
        )
        order_ids = [order.pk for order in orders]
        for order in orders:
            if order.status in OPEN_STATUSES:
                core.record_event(
                    order=order,
                    kind=OrderEvent.Kind.STATUS,
                    user=user,
                    from_status=order.status,
                    to_status=OrderStatus.PAUSED,
                )
                order.status = OrderStatus.PAUSED
            order.name = ERASED_NAME
            order.phone = ""
            order.birthday = ERASED_BIRTHDAY
            order.description = ""
            order.patient_openid = f"erased-{order.pk}"
            order.next_call_date = None
            order.save(
                update_fields=[
                    "status",
                    "name",
                    "phone",
                    "birthday",
                    "description",
                    "patient_openid",
                    "next_call_date",
                    "updated_at",
                ]
            )
        photos = OrderPhoto.objects.filter(order_id__in=order_ids)
        photo_rows = list(photos.values_list("order_id", "file"))
        photo_names = [name for _, name in photo_rows]
        photos.delete()
        Remark.objects.filter(order_id__in=order_ids).delete()
        Memo.objects.filter(order_id__in=order_ids).update(text="")
        OrderEvent.objects.filter(order_id__in=order_ids).update(remark="")
        counts = dict.fromkeys(order_ids, 0)
        for photo_order_id, _ in photo_rows:
            counts[photo_order_id] += 1
        PatientErasure.objects.bulk_create(
            PatientErasure(order_id=pk, user=user, photo_count=counts[pk])
            for pk in order_ids
        )
        # Storage deletes cannot roll back, so they wait for the commit.
        transaction.on_commit(lambda: _delete_files(photo_names))
    logger.info(
        "patient data erased from orders %s (%d photos)", order_ids, len(photo_names)
    )
    return order_ids


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            # The data is already committed, so one failed file must not stop
            # the rest. Storages raise their own errors (OSError on disk,
            # botocore's ClientError on S3).
            logger.exception("could not delete erased photo %s from storage", name)


def agent_roster_add(*, name: str, phone: str) -> StaffMember:
    """Add a customer-service member to the staff roster."""
    staff = StaffMember.objects.create(
        name=name, phone=phone, role=StaffMember.Role.CUSTOMER_SERVICE
    )
    logger.info("customer-service staff %s added to the roster", staff.pk)
    return staff


def account_create(
    *,
    username: str,
    password: str,
    administrator: bool,
    staff: StaffMember | None = None,
) -> User:
    """Create a back-office account in the agent or administrator group.

    An agent account is linked to `staff`, a customer-service roster entry
    without an account. Administrators also get `is_staff`, so that they
    can manage hospitals and staff in the Django admin.
    """
    if not administrator and staff is None:
        raise invalid("staff", "客服账号必须关联员工名册中的客服")
    if staff is not None:
        if staff.role != StaffMember.Role.CUSTOMER_SERVICE:
            raise invalid("staff", "只有客服角色的员工可以关联后台账号")
        if staff.user_id is not None:
            raise ApiError(Ret.CONFLICT, "该员工已关联后台账号")
    if User.objects.filter(username=username).exists():
        raise ApiError(Ret.CONFLICT, f"用户名 {username} 已存在")
    group_name = ADMINISTRATOR_GROUP if administrator else AGENT_GROUP
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, password=password, is_staff=administrator
        )
        user.groups.add(Group.objects.get(name=group_name))
        if staff is not None:
            staff.user = user
            staff.save(update_fields=["user"])
    logger.info("back-office account %s created in group %s", user.pk, group_name)
    return user
