"""Server-rendered back-office pages for customer service and administrators.

These are the pages and exports. The order page's actions, which write,
are in backoffice/actions.py.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apoint.models import AccessRecord, Order, StaffMember
from apoint.selectors import format_time
from apoint.statuses import (
    FOLLOW_UP_DUE_STATUSES,
    OPEN_STATUSES,
    OrderStatus,
    allowed_next_statuses,
)
from backoffice import forms, reports, roles, selectors, services
from backoffice.exports import EXPORT_FORMATS, Table, export_response

logger = logging.getLogger(__name__)

ORDERS_PER_PAGE = 50
ACCESS_RECORDS_PER_PAGE = 100
# An export contains at most this many orders, so narrow the filters for more.
EXPORT_MAX_ORDERS = 10_000

View = Callable[..., HttpResponse]


def backoffice_view(view: View) -> View:
    """Require a signed-in user with the back-office permission.

    A PermissionDenied from the view becomes a 403 page in the back office's
    layout, with a link back to the home page.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            roles.require_perm(request.user, roles.PERM_WORK)
            return view(request, *args, **kwargs)
        except PermissionDenied:
            logger.warning(
                "user %s was denied %s %s",
                request.user.pk,
                request.method,
                request.path,
            )
            return render(request, "backoffice/403.html", _context(request), status=403)

    return login_required(wrapper, login_url="backoffice:login")


def current_user(request: HttpRequest) -> User:
    # backoffice_view lets only signed-in users through.
    return cast(User, request.user)


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    staff = roles.staff_of(request.user)
    return {
        "staff": staff,
        "is_admin": roles.is_administrator(request.user),
        "can_report": request.user.has_perm(roles.PERM_REPORTS),
        "can_audit": request.user.has_perm(roles.PERM_ACCESS_RECORDS),
        **extra,
    }


@require_GET
@backoffice_view
def home(request: HttpRequest) -> HttpResponse:
    staff = roles.staff_of(request.user)
    visible = roles.visible_orders(request.user, staff)
    today = timezone.localdate()
    limit = selectors.HOME_LIST_LIMIT
    context = _context(
        request,
        unclaimed=selectors.order_rows(selectors.unclaimed_orders(visible)[:limit]),
        mine=[],
        overdue=selectors.overdue_rows(
            visible if staff is None else visible.filter(owner_id=staff.pk), today
        ),
        unread=[],
        reassigned=[],
        list_limit=limit,
    )
    if staff is not None:
        context["mine"] = selectors.order_rows(
            selectors.my_orders(visible, staff)[:limit]
        )
        context["unread"] = selectors.unread_memos(staff)
        context["reassigned"] = selectors.reassigned_to(staff)
    return render(request, "backoffice/home.html", context)


def _filter_from(form: forms.OrderFilterForm) -> selectors.OrderFilter:
    data = form.cleaned_data
    return selectors.OrderFilter(
        status=data.get("status"),
        hospital_id=data["hospital"].pk if data.get("hospital") else None,
        owner_id=data["owner"].pk if data.get("owner") else None,
        search=data.get("q", "").strip(),
        submitted_from=data.get("submitted_from"),
        submitted_to=data.get("submitted_to"),
    )


@require_GET
@backoffice_view
def order_list(request: HttpRequest) -> HttpResponse:
    staff = roles.staff_of(request.user)
    form = forms.OrderFilterForm(request.GET)
    orders = roles.visible_orders(request.user, staff)
    # The form shows its errors, and an invalid filter matches nothing rather
    # than every order.
    orders = _filter_from(form).apply(orders) if form.is_valid() else orders.none()
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        return _export_orders(request, staff, orders, fmt)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/order_list.html",
        _context(
            request,
            form=form,
            page=page,
            rows=selectors.order_rows(cast(QuerySet[Order], page.object_list)),
            query=query.urlencode(),
        ),
    )


def _export_orders(
    request: HttpRequest,
    staff: StaffMember | None,
    orders: QuerySet[Order],
    fmt: str,
) -> HttpResponse:
    rows = selectors.order_rows(orders[:EXPORT_MAX_ORDERS])
    services.access_record(
        order_ids=[row["id"] for row in rows],
        user=current_user(request),
        staff=staff,
        channel=AccessRecord.Channel.EXPORT,
    )
    table = Table(
        "预约单",
        [
            "单号",
            "患者姓名",
            "性别",
            "手机号",
            "状态",
            "医院",
            "预约日期",
            "下次回访日期",
            "提交时间",
            "客服",
            "销售",
        ],
        [
            [
                row["id"],
                row["name"],
                row["sex_label"],
                row["phone_masked"],
                row["status_label"],
                row["hospital__name"],
                row["want_date"],
                row["next_call_date"],
                format_time(row["submitted_at"]),
                row["owner__name"] or "",
                row["salesperson__name"] or "",
            ]
            for row in rows
        ],
    )
    logger.info("user %s exported %d orders", request.user.pk, len(rows))
    return export_response(table, fmt, f"预约单-{timezone.localdate().isoformat()}")


def visible_order(request: HttpRequest, order_id: int) -> Order:
    """Return the order, or raise 404 if missing and 403 if not `user`'s."""
    staff = roles.staff_of(request.user)
    order = roles.visible_orders(request.user, staff).filter(pk=order_id).first()
    if order is not None:
        return order
    if Order.objects.filter(pk=order_id).exists():
        raise PermissionDenied
    raise Http404


@require_GET
@backoffice_view
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = visible_order(request, order_id)
    staff = roles.staff_of(request.user)
    is_admin = roles.is_administrator(request.user)
    services.access_record(
        order_ids=[order.pk],
        user=current_user(request),
        staff=staff,
        channel=AccessRecord.Channel.BACK_OFFICE,
    )
    if staff is not None:
        services.order_mark_read(order_id=order.pk, staff=staff)
    detail = selectors.order_detail(order.pk)
    allowed = allowed_next_statuses(
        roles.actor_of(request.user), OrderStatus(order.status)
    )
    may_work = is_admin or (staff is not None and order.owner_id == staff.pk)
    context = _context(
        request,
        order=detail,
        photo_urls=[default_storage.url(name) for name in detail["photos"]],
        timeline=selectors.timeline(order.pk),
        unclaimed=order.owner_id is None and order.status in OPEN_STATUSES,
        may_work=may_work,
        move_form=forms.MoveForm(allowed=allowed) if allowed and may_work else None,
        follow_up_values=sorted(status.value for status in FOLLOW_UP_DUE_STATUSES),
        follow_up_labels="、".join(
            f"「{status.label}」" for status in sorted(FOLLOW_UP_DUE_STATUSES)
        ),
        note_form=forms.NoteForm(),
        hospital_form=forms.HospitalForm(initial={"hospital": order.hospital_id}),
        reassign_form=forms.ReassignForm() if is_admin else None,
        merge_form=forms.MergeForm() if is_admin else None,
        family=selectors.family_orders(detail) if is_admin else [],
        can_erase=request.user.has_perm(roles.PERM_ERASE) and not detail["erased"],
    )
    return render(request, "backoffice/order_detail.html", context)


@require_GET
@backoffice_view
def report(request: HttpRequest) -> HttpResponse:
    roles.require_perm(request.user, roles.PERM_REPORTS)
    month = reports.Month.parse(request.GET.get("month", ""), timezone.localdate())
    export = request.GET.get("export", "")
    fmt = request.GET.get("format", "csv")
    if export:
        build = reports.REPORTS.get(export)
        if build is None or fmt not in EXPORT_FORMATS:
            raise Http404
        table = build(month)
        return export_response(table, fmt, f"{table.title}-{month}")
    tables = [(key, build(month)) for key, build in reports.REPORTS.items()]
    return render(
        request,
        "backoffice/report.html",
        _context(
            request,
            month=str(month),
            tables=[(key, table, _bars(table)) for key, table in tables],
        ),
    )


def _bars(table: Table) -> list[tuple[str, int, int]]:
    """Return chart rows: the label, the value in column 1 and its width in %."""
    values = [(str(row[0]), int(row[1])) for row in table.rows]
    top = max((value for _, value in values), default=0)
    return [
        (label, value, round(100 * value / top) if top else 0)
        for label, value in values
    ]


@require_GET
@backoffice_view
def access_records(request: HttpRequest) -> HttpResponse:
    roles.require_perm(request.user, roles.PERM_ACCESS_RECORDS)
    records = AccessRecord.objects.order_by("-created_at", "-id")
    order_id = request.GET.get("order", "").strip()
    if order_id.isdigit():
        records = records.filter(order_id=int(order_id))
    fields = ("created_at", "order_id", "channel", "staff__name", "user__username")
    channel_labels = dict(AccessRecord.Channel.choices)
    fmt = request.GET.get("format", "")
    if fmt in EXPORT_FORMATS:
        table = Table(
            "访问记录",
            ["时间", "预约单号", "渠道", "员工", "后台账号"],
            [
                [
                    format_time(row["created_at"]),
                    row["order_id"],
                    channel_labels[row["channel"]],
                    row["staff__name"] or "",
                    row["user__username"] or "",
                ]
                for row in records.values(*fields)[:EXPORT_MAX_ORDERS]
            ],
        )
        return export_response(table, fmt, "访问记录")
    page = Paginator(records.values(*fields), ACCESS_RECORDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            **row,
            "time": format_time(row["created_at"]),
            "channel_label": channel_labels[row["channel"]],
        }
        for row in page.object_list
    ]
    return render(
        request,
        "backoffice/access_records.html",
        _context(request, page=page, rows=rows, order_filter=order_id),
    )
