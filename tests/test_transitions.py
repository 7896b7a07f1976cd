"""The transition table, as the service layer enforces it for every path."""

import datetime

import pytest
from django.utils import timezone

from apoint.errors import ApiError, Ret
from apoint.models import Order, OrderEvent
from apoint.services import memo_record, order_set_status
from apoint.statuses import (
    CLOSED_STATUSES,
    MEMO_STATUSES,
    OPEN_STATUSES,
    Actor,
    OrderStatus,
    allowed_next_statuses,
)
from tests.conftest import SALESPERSON_OPENID, make_order

S = OrderStatus

# (actor, from, to, allowed): the table written out, one row per case.
CASES = [
    (Actor.CUSTOMER_SERVICE, S.UNCLAIMED, S.CLAIMED, False),
    (Actor.CUSTOMER_SERVICE, S.CLAIMED, S.CONFIRMED, True),
    (Actor.CUSTOMER_SERVICE, S.CLAIMED, S.DECLINED, True),
    (Actor.CUSTOMER_SERVICE, S.CLAIMED, S.POSTPONED, True),
    (Actor.CUSTOMER_SERVICE, S.CLAIMED, S.PAUSED, True),
    (Actor.CUSTOMER_SERVICE, S.CLAIMED, S.TREATMENT_ARRANGED, False),
    (Actor.CUSTOMER_SERVICE, S.CONFIRMED, S.POSTPONED, True),
    (Actor.CUSTOMER_SERVICE, S.CONFIRMED, S.FIRST_FOLLOW_UP, False),
    (Actor.CUSTOMER_SERVICE, S.POSTPONED, S.CONFIRMED, True),
    (Actor.CUSTOMER_SERVICE, S.TREATMENT_ARRANGED, S.FIRST_FOLLOW_UP, True),
    (Actor.CUSTOMER_SERVICE, S.TREATMENT_ARRANGED, S.FOLLOW_UP_15, False),
    (Actor.CUSTOMER_SERVICE, S.FIRST_FOLLOW_UP, S.FOLLOW_UP_15, True),
    (Actor.CUSTOMER_SERVICE, S.FOLLOW_UP_15, S.FOLLOW_UP_30, True),
    (Actor.CUSTOMER_SERVICE, S.FOLLOW_UP_30, S.FOLLOW_UP_45, True),
    (Actor.CUSTOMER_SERVICE, S.TREATMENT_POSTPONED, S.CONFIRMED, True),
    (Actor.CUSTOMER_SERVICE, S.TRANSFERRED, S.CLAIMED, True),
    (Actor.CUSTOMER_SERVICE, S.REACTIVATED, S.CONFIRMED, True),
    (Actor.CUSTOMER_SERVICE, S.DECLINED, S.REACTIVATED, True),
    (Actor.CUSTOMER_SERVICE, S.DECLINED, S.CONFIRMED, False),
    (Actor.CUSTOMER_SERVICE, S.FOLLOW_UP_45, S.REACTIVATED, True),
    (Actor.CUSTOMER_SERVICE, S.PAUSED, S.REACTIVATED, True),
    (Actor.CUSTOMER_SERVICE, S.NO_SHOW, S.REACTIVATED, True),
    (Actor.CUSTOMER_SERVICE, S.NO_SHOW, S.CLAIMED, False),
    (Actor.SALESPERSON, S.UNCLAIMED, S.TREATMENT_ARRANGED, False),
    (Actor.SALESPERSON, S.CLAIMED, S.TREATMENT_ARRANGED, True),
    (Actor.SALESPERSON, S.CONFIRMED, S.NO_SHOW, True),
    (Actor.SALESPERSON, S.TREATMENT_ARRANGED, S.TREATMENT_ARRANGED, True),
    (Actor.SALESPERSON, S.REACTIVATED, S.TRANSFERRED, True),
    (Actor.SALESPERSON, S.CLAIMED, S.CONFIRMED, False),
    (Actor.SALESPERSON, S.PAUSED, S.TREATMENT_ARRANGED, False),
    (Actor.SALESPERSON, S.NO_SHOW, S.TREATMENT_POSTPONED, False),
    (Actor.ADMINISTRATOR, S.UNCLAIMED, S.CONFIRMED, False),
    (Actor.ADMINISTRATOR, S.CLAIMED, S.FOLLOW_UP_45, True),
    (Actor.ADMINISTRATOR, S.PAUSED, S.CONFIRMED, True),
    (Actor.ADMINISTRATOR, S.CONFIRMED, S.UNCLAIMED, False),
    (Actor.ADMINISTRATOR, S.CONFIRMED, S.CONFIRMED, False),
]


@pytest.mark.parametrize(("actor", "current", "new", "allowed"), CASES)
def test_transition_table(actor, current, new, allowed):
    assert (new in allowed_next_statuses(actor, current)) is allowed


def test_salesperson_memo_statuses_open_orders():
    for current in OPEN_STATUSES - {S.UNCLAIMED}:
        assert allowed_next_statuses(Actor.SALESPERSON, current) == MEMO_STATUSES
    for current in CLOSED_STATUSES:
        assert allowed_next_statuses(Actor.SALESPERSON, current) == frozenset()


def test_closed_statuses_reopen_only_by_reactivation():
    for current in CLOSED_STATUSES:
        allowed = allowed_next_statuses(Actor.CUSTOMER_SERVICE, current)
        assert allowed == frozenset({S.REACTIVATED})


def test_no_status_change_leaves_unclaimed():
    for actor in Actor:
        assert allowed_next_statuses(actor, S.UNCLAIMED) == frozenset()


@pytest.mark.parametrize(
    ("current", "new"),
    [(S.CLAIMED, S.FIRST_FOLLOW_UP), (S.UNCLAIMED, S.CLAIMED), (S.PAUSED, S.CONFIRMED)],
)
def test_set_status_rejects_illegal_move(hospital, agent, current, new):
    order = make_order(hospital, status=current)
    with pytest.raises(ApiError) as caught:
        order_set_status(
            order_id=order.pk, status=new, actor=Actor.CUSTOMER_SERVICE, staff=agent
        )
    assert caught.value.ret == Ret.INVALID
    assert f"({current.value})" in caught.value.msg
    assert f"({new.value})" in caught.value.msg
    order.refresh_from_db()
    assert order.status == current
    assert not OrderEvent.objects.filter(order=order).exists()


def test_memo_on_closed_order_names_transition(client, hospital):
    order = make_order(hospital, status=S.PAUSED)
    body = client.post(
        "/api/apoint/thememo/",
        {"id": order.pk, "openid": SALESPERSON_OPENID, "describe": "", "types": "6"},
    ).json()
    assert body["ret"] == Ret.INVALID
    assert "暂停跟进" in body["msg"]
    assert "(12)" in body["msg"]
    assert "(6)" in body["msg"]
    order.refresh_from_db()
    assert order.status == S.PAUSED


def test_memo_no_show_before_want_date(client, hospital):
    order = make_order(hospital, status=S.CONFIRMED, want_days=3)
    body = client.post(
        "/api/apoint/thememo/",
        {"id": order.pk, "openid": SALESPERSON_OPENID, "describe": "", "types": "14"},
    ).json()
    assert body["ret"] == Ret.INVALID
    assert "(14)" in body["msg"]
    order.refresh_from_db()
    assert order.status == S.CONFIRMED


def test_memo_no_show_after_want_date(hospital, salesperson):
    order = make_order(hospital, status=S.CONFIRMED)
    Order.objects.filter(pk=order.pk).update(
        want_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    memo_record(
        order_id=order.pk, salesperson=salesperson, text="没来", status=S.NO_SHOW
    )
    order.refresh_from_db()
    assert order.status == S.NO_SHOW


def test_memo_next_call_date_optional(client, hospital):
    order = make_order(hospital, status=S.CONFIRMED)
    body = client.post(
        "/api/apoint/thememo/",
        {"id": order.pk, "openid": SALESPERSON_OPENID, "describe": "", "types": "11"},
    ).json()
    assert body["ret"] == Ret.OK
    order.refresh_from_db()
    assert order.status == S.TREATMENT_POSTPONED
    assert order.next_call_date is None


def test_memo_sets_next_call_date(client, hospital):
    order = make_order(hospital, status=S.CONFIRMED)
    call = timezone.localdate() + datetime.timedelta(days=7)
    body = client.post(
        "/api/apoint/thememo/",
        {
            "id": order.pk,
            "openid": SALESPERSON_OPENID,
            "describe": "下周再约",
            "types": "11",
            "nextcalldate": call.isoformat(),
        },
    ).json()
    assert body["ret"] == Ret.OK
    order.refresh_from_db()
    assert order.next_call_date == call
