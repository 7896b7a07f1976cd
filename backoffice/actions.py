"""The order page's actions. Each parses its form, calls one service, redirects.

Services raise ApiError for a rejected action, which becomes an error
message on the order page.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apoint.errors import ApiError, Ret
from apoint.models import Order
from apoint.statuses import OrderStatus, allowed_next_statuses
from backoffice import forms, roles, services
from backoffice.views import backoffice_view, current_user, visible_order

logger = logging.getLogger(__name__)


def _form_errors(form: Any) -> str:
    return "；".join(
        f"{form.fields[name].label if name in form.fields else ''}{' '.join(errs)}"
        for name, errs in form.errors.items()
    )


@require_POST
@backoffice_view
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    order = visible_order(request, order_id)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    staff = roles.staff_of(request.user)
    is_admin = roles.is_administrator(request.user)
    if action in ADMIN_ACTIONS and not is_admin:
        raise PermissionDenied
    if action == "erase" and not request.user.has_perm(roles.PERM_ERASE):
        raise PermissionDenied
    # Agents work only their own orders, and may claim unclaimed ones.
    own = staff is not None and order.owner_id == staff.pk
    if action != "claim" and not is_admin and not own:
        raise PermissionDenied
    try:
        done = handler(request, order, staff)
    except ApiError as error:
        logger.info(
            "order %s action %s by user %s rejected: ret %s",
            order.pk,
            action,
            request.user.pk,
            error.ret.value,
        )
        messages.error(request, error.msg)
        return redirect("backoffice:order", order_id=order.pk)
    if done:
        messages.success(request, done)
    return redirect("backoffice:order", order_id=order.pk)


def _claim(request: HttpRequest, order: Order, staff: Any) -> str:
    services.order_claim(order_id=order.pk, staff=staff, user=current_user(request))
    return f"已认领预约单 #{order.pk}"


def _move(request: HttpRequest, order: Order, staff: Any) -> str:
    allowed = allowed_next_statuses(
        roles.actor_of(request.user), OrderStatus(order.status)
    )
    form = forms.MoveForm(request.POST, allowed=allowed)
    if not form.is_valid():
        raise ApiError(Ret.INVALID, _form_errors(form))
    status = form.cleaned_data["status"]
    services.order_move(
        order_id=order.pk,
        status=status,
        actor=roles.actor_of(request.user),
        staff=staff,
        user=current_user(request),
        remark=form.cleaned_data["remark"].strip(),
        next_call_date=form.cleaned_data["next_call_date"],
    )
    return f"状态已改为「{status.label}」"


def _note(request: HttpRequest, order: Order, staff: Any) -> str:
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        raise ApiError(Ret.INVALID, _form_errors(form))
    services.order_note(
        order_id=order.pk,
        staff=staff,
        user=current_user(request),
        text=form.cleaned_data["text"].strip(),
        next_call_date=form.cleaned_data["next_call_date"],
    )
    return "备注已保存"


def _hospital(request: HttpRequest, order: Order, staff: Any) -> str:
    form = forms.HospitalForm(request.POST)
    if not form.is_valid():
        raise ApiError(Ret.INVALID, _form_errors(form))
    hospital = form.cleaned_data["hospital"]
    services.order_change_hospital(
        order_id=order.pk, hospital=hospital, staff=staff, user=current_user(request)
    )
    return f"医院已改为「{hospital.name}」"


def _reassign(request: HttpRequest, order: Order, staff: Any) -> str:
    form = forms.ReassignForm(request.POST)
    if not form.is_valid():
        raise ApiError(Ret.INVALID, _form_errors(form))
    owner = form.cleaned_data["owner"]
    services.order_reassign(
        order_id=order.pk, new_owner=owner, user=current_user(request)
    )
    return f"已转交给 {owner.name}"


def _merge(request: HttpRequest, order: Order, staff: Any) -> str:
    form = forms.MergeForm(request.POST)
    if not form.is_valid():
        raise ApiError(Ret.INVALID, _form_errors(form))
    source_id = form.cleaned_data["source"]
    services.order_merge(
        source_id=source_id, target_id=order.pk, user=current_user(request)
    )
    return f"已将预约单 #{source_id} 并入本单"


def _erase(request: HttpRequest, order: Order, staff: Any) -> str:
    if request.POST.get("confirm") != str(order.pk):
        raise ApiError(Ret.INVALID, "请输入本单单号以确认删除")
    erased = services.patient_erase(order_id=order.pk, user=current_user(request))
    return f"已删除患者个人信息（预约单 {'、'.join(f'#{pk}' for pk in erased)}）"


ACTIONS: dict[str, Callable[[HttpRequest, Order, Any], str]] = {
    "claim": _claim,
    "move": _move,
    "note": _note,
    "hospital": _hospital,
    "reassign": _reassign,
    "merge": _merge,
    "erase": _erase,
}
ADMIN_ACTIONS = frozenset({"reassign", "merge", "erase"})
