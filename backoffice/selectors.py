"""Back-office reads: the home page lists, the order list and the timeline."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from apoint.logmask import mask_phone
from apoint.models import Memo, Order, OrderEvent, OrderPhoto, Remark, StaffMember
from apoint.selectors import SEX_LABELS, format_time
from apoint.statuses import (
    FOLLOW_UP_DUE_STATUSES,
    OPEN_STATUSES,
    STATUS_LABELS,
)
from backoffice.models import MemoReadMarker, PatientErasure, Reassignment

HOME_LIST_LIMIT = 100
# A remark written with a status change is stored twice: as the history row's
# remark and as a Remark. Rows this close in time with equal text are one.
SAME_ACTION_SECONDS = 5

ORDER_ROW_FIELDS = (
    "id",
    "name",
    "sex",
    "phone",
    "status",
    "want_date",
    "next_call_date",
    "submitted_at",
    "hospital__name",
    "owner__name",
    "salesperson__name",
)


def order_rows(orders: QuerySet[Order]) -> list[dict[str, Any]]:
    """Return plain rows for a list, with masked phone numbers, in one query."""
    rows = []
    for row in orders.values(*ORDER_ROW_FIELDS):
        row["phone_masked"] = mask_phone(row.pop("phone"))
        row["sex_label"] = SEX_LABELS.get(row["sex"], "")
        row["status_label"] = STATUS_LABELS[row["status"]]
        row["needs_call_date"] = needs_call_date(row)
        rows.append(row)
    return rows


def needs_call_date(row: dict[str, Any]) -> bool:
    """Return True when customer service owes the family a call with no date set."""
    return row["status"] in FOLLOW_UP_DUE_STATUSES and row["next_call_date"] is None


def unclaimed_orders(orders: QuerySet[Order]) -> QuerySet[Order]:
    # Orders without an owner: unclaimed ones, and open ones a salesperson
    # was assigned to before anyone claimed them.
    return orders.filter(owner_id__isnull=True, status__in=OPEN_STATUSES).order_by(
        "submitted_at", "id"
    )


def my_orders(orders: QuerySet[Order], staff: StaffMember) -> QuerySet[Order]:
    return orders.filter(owner_id=staff.pk, status__in=OPEN_STATUSES).order_by(
        F("next_call_date").asc(nulls_last=True), "submitted_at", "id"
    )


def overdue_rows(orders: QuerySet[Order], today: datetime.date) -> list[dict[str, Any]]:
    """Open orders whose next call date has passed, with the days overdue."""
    overdue = orders.filter(
        status__in=OPEN_STATUSES, next_call_date__lt=today
    ).order_by("next_call_date", "id")
    rows = order_rows(overdue[:HOME_LIST_LIMIT])
    for row in rows:
        row["days_overdue"] = (today - row["next_call_date"]).days
    return rows


def unread_memos(staff: StaffMember) -> list[dict[str, Any]]:
    """Salesperson memos on the orders `staff` owns, newer than their last visit."""
    read_at = MemoReadMarker.objects.filter(
        staff_id=staff.pk, order_id=OuterRef("order_id")
    ).values("read_at")[:1]
    memos = (
        Memo.objects.filter(order__owner_id=staff.pk)
        .annotate(read_at=Subquery(read_at))
        .filter(Q(read_at__isnull=True) | Q(created_at__gt=F("read_at")))
        .order_by("-created_at", "-id")
        .values(
            "id",
            "order_id",
            "order__name",
            "status",
            "text",
            "created_at",
            "salesperson__name",
        )[:HOME_LIST_LIMIT]
    )
    return [
        {
            **memo,
            "status_label": STATUS_LABELS[memo["status"]],
            "time": format_time(memo["created_at"]),
        }
        for memo in memos
    ]


def reassigned_to(staff: StaffMember) -> list[dict[str, Any]]:
    """Orders an administrator moved to `staff` that they have not opened yet."""
    rows = (
        Reassignment.objects.filter(to_owner_id=staff.pk, seen_at__isnull=True)
        .order_by("-created_at", "-id")
        .values(
            "order_id",
            "order__name",
            "order__status",
            "from_owner__name",
            "created_at",
        )[:HOME_LIST_LIMIT]
    )
    return [
        {
            **row,
            "status_label": STATUS_LABELS[row["order__status"]],
            "time": format_time(row["created_at"]),
        }
        for row in rows
    ]


@dataclass(frozen=True)
class OrderFilter:
    status: int | None = None
    hospital_id: int | None = None
    owner_id: int | None = None
    search: str = ""
    submitted_from: datetime.date | None = None
    submitted_to: datetime.date | None = None

    def apply(self, orders: QuerySet[Order]) -> QuerySet[Order]:
        if self.status is not None:
            orders = orders.filter(status=self.status)
        if self.hospital_id is not None:
            orders = orders.filter(hospital_id=self.hospital_id)
        if self.owner_id is not None:
            orders = orders.filter(owner_id=self.owner_id)
        if self.search:
            query = Q(name__contains=self.search) | Q(phone__contains=self.search)
            if self.search.isdigit():
                query |= Q(pk=int(self.search))
            orders = orders.filter(query)
        if self.submitted_from is not None:
            orders = orders.filter(submitted_at__date__gte=self.submitted_from)
        if self.submitted_to is not None:
            orders = orders.filter(submitted_at__date__lte=self.submitted_to)
        return orders.order_by("-submitted_at", "-id")


def order_detail(order_id: int) -> dict[str, Any]:
    row = (
        Order.objects.filter(pk=order_id)
        .values(
            "id",
            "name",
            "sex",
            "phone",
            "birthday",
            "want_date",
            "description",
            "status",
            "next_call_date",
            "submitted_at",
            "hospital_id",
            "hospital__name",
            "province__name",
            "owner_id",
            "owner__name",
            "salesperson__name",
            "patient_openid",
        )
        .get()
    )
    order: dict[str, Any] = dict(row)
    order["sex_label"] = SEX_LABELS.get(order["sex"], "")
    order["status_label"] = STATUS_LABELS[order["status"]]
    order["needs_call_date"] = needs_call_date(order)
    order["submit_time"] = format_time(order["submitted_at"])
    order["photos"] = list(
        OrderPhoto.objects.filter(order_id=order_id).values_list("file", flat=True)
    )
    order["erased"] = PatientErasure.objects.filter(order_id=order_id).exists()
    return order


def family_orders(order: dict[str, Any]) -> list[dict[str, Any]]:
    """Other orders of the same openid or phone: candidates for a merge."""
    query = Q(patient_openid=order["patient_openid"])
    if order["phone"]:
        query |= Q(phone=order["phone"])
    others = Order.objects.filter(query).exclude(pk=order["id"])
    return order_rows(others.order_by("-submitted_at", "-id"))


def timeline(order_id: int) -> list[dict[str, Any]]:
    """Merge the history rows and remarks into one list, oldest first.

    A remark that went with a status change appears once, on the history row.
    """
    events = list(
        OrderEvent.objects.filter(order_id=order_id).values(
            "created_at",
            "kind",
            "from_status",
            "to_status",
            "remark",
            "staff__name",
            "staff__role",
            "user__username",
        )
    )
    remarks = Remark.objects.filter(order_id=order_id).values(
        "created_at", "text", "author_name"
    )
    kind_labels = dict(OrderEvent.Kind.choices)
    entries = []
    for event in events:
        memo = (
            event["kind"] == OrderEvent.Kind.STATUS
            and event["staff__role"] == StaffMember.Role.SALESPERSON
        )
        entries.append(
            {
                "at": event["created_at"],
                "type": "memo" if memo else "event",
                "label": "销售记录" if memo else kind_labels[event["kind"]],
                "from_label": STATUS_LABELS.get(event["from_status"] or 0, ""),
                "to_label": STATUS_LABELS[event["to_status"]],
                "status_changed": event["from_status"] != event["to_status"],
                "text": event["remark"],
                "who": event["staff__name"] or event["user__username"] or "",
            }
        )
    window = datetime.timedelta(seconds=SAME_ACTION_SECONDS)
    for remark in remarks:
        duplicate = any(
            event["remark"] == remark["text"]
            and abs(event["created_at"] - remark["created_at"]) <= window
            for event in events
        )
        if not duplicate:
            entries.append(
                {
                    "at": remark["created_at"],
                    "type": "remark",
                    "label": "客服备注",
                    "text": remark["text"],
                    "who": remark["author_name"],
                    "status_changed": False,
                }
            )
    entries.sort(key=lambda entry: entry["at"])
    for entry in entries:
        entry["time"] = format_time(entry["at"])
    return entries
