"""Reads for the API: plain rows, no model instances on the hot paths."""

from collections.abc import Mapping
from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apoint.models import Order, OrderEvent, OrderPhoto, Remark, StaffMember
from apoint.statuses import STATUS_LABELS, OrderStatus
from apoint.uploads import photo_url

SEX_LABELS = dict(Order.Sex.choices)
TIME_FORMAT = "%Y-%m-%d %H:%M"


def format_time(value: Any) -> str:
    return timezone.localtime(value).strftime(TIME_FORMAT)


def salesperson_orders(salesperson: StaffMember) -> QuerySet[Order]:
    """Return the salesperson's patients: their orders, except unclaimed ones."""
    return Order.objects.filter(salesperson_id=salesperson.pk).exclude(
        status=OrderStatus.UNCLAIMED
    )


def patient_rows(orders: QuerySet[Order]) -> list[dict[str, Any]]:
    """Rows in the `mypatien` shape, next planned call first, then newest."""
    rows = orders.order_by(
        F("next_call_date").asc(nulls_last=True), "-submitted_at", "-id"
    ).values_list("id", "name", "sex", "want_date", "hospital__name", "status")
    return [
        {
            "wantTime": want_date,
            "hospital": hospital,
            "sex": SEX_LABELS[sex],
            "id": id_,
            "name": name,
            "status": status,
            "statusLabel": STATUS_LABELS[status],
        }
        for id_, name, sex, want_date, hospital, status in rows
    ]


def detail_order_row(order_id: int) -> Mapping[str, Any] | None:
    """Return the order's own fields for `patient_detail`, or None."""
    return (
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
            "salesperson_id",
            "next_call_date",
            "submitted_at",
            "hospital__name",
            "province__name",
        )
        .first()
    )


def patient_detail(request: HttpRequest, order: Mapping[str, Any]) -> dict[str, Any]:
    """Return the `patientsdetail` data of a `detail_order_row`, in three queries."""
    order_id = order["id"]
    photos = OrderPhoto.objects.filter(order_id=order_id).values_list("file", flat=True)
    remarks = order_remarks(order_id)
    events = OrderEvent.objects.filter(order_id=order_id).values_list(
        "created_at", "from_status", "to_status", "kind", "remark", "staff__name"
    )
    status = order["status"]
    return {
        "wanthospital": order["hospital__name"],
        "phone": order["phone"],
        "birthday": order["birthday"],
        "name": order["name"],
        "area": order["province__name"],
        "photo": [photo_url(request, name) for name in photos],
        "description": order["description"],
        "customer": remarks,
        "wantTime": order["want_date"],
        "sex": SEX_LABELS[order["sex"]],
        "id": str(order["id"]),
        "status": status,
        "statusLabel": STATUS_LABELS[status],
        "nextCallDate": order["next_call_date"],
        "submitTime": format_time(order["submitted_at"]),
        "history": [
            {
                "time": format_time(created_at),
                "from": from_status,
                "to": to_status,
                "label": STATUS_LABELS[to_status],
                "kind": kind,
                "remark": remark,
                "name": staff_name or "",
            }
            for created_at, from_status, to_status, kind, remark, staff_name in events
        ],
    }


def order_remarks(order_id: int) -> list[dict[str, str]]:
    rows = Remark.objects.filter(order_id=order_id).values_list(
        "text", "author_name", "created_at"
    )
    return [
        {"remark": text, "name": author_name, "time": format_time(created_at)}
        for text, author_name, created_at in rows
    ]


def latest_patient_order(openid: str) -> dict[str, Any] | None:
    order = (
        Order.objects.filter(patient_openid=openid)
        .order_by("-submitted_at", "-id")
        .values("id", "status", "want_date", "submitted_at", "hospital__name", "name")
        .first()
    )
    if order is None:
        return None
    return {
        "id": order["id"],
        "name": order["name"],
        "status": order["status"],
        "statusLabel": STATUS_LABELS[order["status"]],
        "hospital": order["hospital__name"],
        "wantTime": order["want_date"],
        "submitTime": format_time(order["submitted_at"]),
    }
