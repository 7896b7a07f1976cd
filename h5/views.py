"""The WeChat H5 pages: HTML shells whose scripts call /api/apoint/.

A caller whose session contains no openid gets a sign-in link instead of
the page. The scripts never send an openid, so the API takes the session's.
"""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from apoint.identity import SESSION_OPENID_KEY
from apoint.models import Order, StaffMember
from apoint.statuses import MEMO_STATUSES, OrderStatus
from apoint.validation import (
    DESCRIPTION_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PHOTO_MAX_COUNT,
    REMARK_MAX_LENGTH,
    WANT_DATE_MAX_DAYS_AHEAD,
)

DEV_SIGNIN_PATH = "/dev/signin/"


def signin_url(request: HttpRequest) -> str:
    """Return where a caller without a session openid signs in, or "".

    WeChat web authorization when H5_WECHAT_AUTH_URL is set, else the
    development sign-in in local mode. Both return to this page.
    """
    query = urlencode({"next": request.get_full_path()})
    if settings.H5_WECHAT_AUTH_URL:
        return f"{settings.H5_WECHAT_AUTH_URL}?{query}"
    if settings.LOCAL_MODE:
        return f"{DEV_SIGNIN_PATH}?{query}"
    return ""


def _session_openid(request: HttpRequest) -> str:
    return str(request.session.get(SESSION_OPENID_KEY, ""))


def _signin_page(request: HttpRequest) -> HttpResponse:
    context = {"signin_url": signin_url(request)}
    return render(request, "h5/signin.html", context)


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    response = render(request, template, context)
    # The pages embed today's date window, so a cached copy would offer
    # yesterday's dates.
    response["Cache-Control"] = "no-store"
    return response


def _is_bound_staff(openid: str) -> bool:
    return StaffMember.objects.filter(openid=openid, is_active=True).exists()


def book(request: HttpRequest) -> HttpResponse:
    if not _session_openid(request):
        return _signin_page(request)
    today = timezone.localdate()
    return _page(
        request,
        "h5/book.html",
        today=today,
        want_date_max=today + datetime.timedelta(days=WANT_DATE_MAX_DAYS_AHEAD),
        sexes=[label for _, label in Order.Sex.choices],
        name_max_length=NAME_MAX_LENGTH,
        description_max_length=DESCRIPTION_MAX_LENGTH,
        photo_max_count=PHOTO_MAX_COUNT,
        upload_max_bytes=settings.APOINT_UPLOAD_MAX_BYTES,
    )


def my_order(request: HttpRequest) -> HttpResponse:
    if not _session_openid(request):
        return _signin_page(request)
    return _page(request, "h5/my_order.html")


def staff_bind(request: HttpRequest) -> HttpResponse:
    openid = _session_openid(request)
    if not openid:
        return _signin_page(request)
    if _is_bound_staff(openid):
        return redirect("h5:patients")
    return _page(
        request,
        "h5/staff_bind.html",
        name_max_length=NAME_MAX_LENGTH,
        email_max_length=EMAIL_MAX_LENGTH,
        resend_seconds=settings.APOINT_CODE_RESEND_SECONDS,
    )


def patients(request: HttpRequest) -> HttpResponse:
    openid = _session_openid(request)
    if not openid:
        return _signin_page(request)
    if not _is_bound_staff(openid):
        return redirect("h5:staff_bind")
    return _page(request, "h5/patients.html", name_max_length=NAME_MAX_LENGTH)


def patient_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    openid = _session_openid(request)
    if not openid:
        return _signin_page(request)
    if not _is_bound_staff(openid):
        return redirect("h5:staff_bind")
    # Whether this order is the caller's is checked by the API the page
    # calls, so the page itself reveals nothing about the order.
    memo_statuses = [
        (status.value, status.label)
        for status in OrderStatus
        if status in MEMO_STATUSES
    ]
    return _page(
        request,
        "h5/patient_detail.html",
        order_id=order_id,
        memo_statuses=memo_statuses,
        remark_max_length=REMARK_MAX_LENGTH,
        today=timezone.localdate(),
        patients_url=reverse("h5:patients"),
    )
