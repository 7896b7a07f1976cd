import datetime

import pytest
from django.utils import timezone

from apoint.models import Memo, Order, OrderEvent
from apoint.statuses import OrderStatus
from tests.api_helpers import order_fields, post
from tests.conftest import OTHER_SALESPERSON_OPENID, SALESPERSON_OPENID, make_order


def memo(client, order_id, types="6", openid=SALESPERSON_OPENID, **extra):
    fields = {
        "id": str(order_id),
        "openid": openid,
        "describe": "这个患者 可以治",
        "types": types,
        **extra,
    }
    return post(client, "thememo", fields)


def test_memo_records_status(client, order, salesperson):
    assert memo(client, order.pk) == {"ret": 0, "msg": "success"}
    order.refresh_from_db()
    assert order.status == OrderStatus.TREATMENT_ARRANGED
    saved = Memo.objects.get()
    assert saved.text == "这个患者 可以治"
    assert saved.status == OrderStatus.TREATMENT_ARRANGED
    assert saved.salesperson_id == salesperson.pk


def test_memo_writes_history_row(client, order, salesperson):
    memo(client, order.pk, types="11")
    event = OrderEvent.objects.get()
    assert event.kind == OrderEvent.Kind.STATUS
    assert event.staff_id == salesperson.pk
    assert event.from_status == OrderStatus.CLAIMED
    assert event.to_status == OrderStatus.TREATMENT_POSTPONED
    assert event.remark == "这个患者 可以治"


@pytest.mark.parametrize("types", ["6", "11", "12", "13"])
def test_memo_accepts_each_memo_status(client, order, types):
    assert memo(client, order.pk, types=types)["ret"] == 0
    order.refresh_from_db()
    assert order.status == int(types)


def test_memo_no_show_after_wanted_date(client, hospital):
    past = make_order(hospital, want_days=0)
    assert memo(client, past.pk, types="14")["ret"] == 0


def test_memo_no_show_before_wanted_date(client, order):
    body = memo(client, order.pk, types="14")
    assert body["ret"] == 2
    assert Memo.objects.count() == 0


@pytest.mark.parametrize("types", ["", "1", "2", "7", "15", "abc", "6.0", "٦"])
def test_memo_rejects_other_types(client, order, types):
    body = memo(client, order.pk, types=types)
    assert body == {"ret": 2, "msg": "types 必须是 6、11、12、13、14 之一"}
    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED


def test_memo_other_salesperson_refused(client, order, other_salesperson):
    body = memo(client, order.pk, openid=OTHER_SALESPERSON_OPENID)
    assert body == {"ret": 5, "msg": "未认证或无权限"}
    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED
    assert Memo.objects.count() == 0
    assert OrderEvent.objects.count() == 0


def test_memo_unbound_openid_refused(client, order):
    body = memo(client, order.pk, openid="o_unknown_openid_000001")
    assert body == {"ret": 5, "msg": "未认证或无权限"}


def test_memo_unclaimed_order_refused(client, hospital):
    unclaimed = make_order(hospital, status=OrderStatus.UNCLAIMED)
    assert memo(client, unclaimed.pk)["ret"] == 5


def test_memo_unknown_order_not_found(client, salesperson):
    assert memo(client, 999) == {"ret": 6, "msg": "预约单不存在"}


def test_memo_closed_order_rejected(client, hospital):
    closed = make_order(hospital, status=OrderStatus.PAUSED)
    assert memo(client, closed.pk)["ret"] == 2
    assert Memo.objects.count() == 0


def test_memo_long_describe_rejected(client, order):
    body = memo(client, order.pk, describe="长" * 1001)
    assert body == {"ret": 2, "msg": "describe 不能超过1000个字"}


def test_memo_control_character_rejected(client, order):
    body = memo(client, order.pk, describe="a\x00b")
    assert body == {"ret": 2, "msg": "describe 含有不允许的控制字符"}


def test_memo_sets_next_call_date(client, order):
    date = timezone.localdate() + datetime.timedelta(days=3)
    assert memo(client, order.pk, types="11", nextcalldate=date.isoformat())["ret"] == 0
    order.refresh_from_db()
    assert order.next_call_date == date


def test_memo_rejects_past_next_call_date(client, order):
    date = timezone.localdate() - datetime.timedelta(days=1)
    body = memo(client, order.pk, nextcalldate=date.isoformat())
    assert body == {"ret": 2, "msg": "nextcalldate 不能早于今天"}


def test_memo_six_keeps_family_blocked(client, hospital, salesperson):
    order_id = post(client, "ordersubmit", order_fields(hospital))["id"]
    from apoint import services

    services.order_claim(order_id=order_id, owner=salesperson)
    assert memo(client, order_id, types="6")["ret"] == 0
    again = post(client, "ordersubmit", order_fields(hospital))
    assert again == {"ret": 1, "msg": "已有预约正在进行中"}
    assert memo(client, order_id, types="12")["ret"] == 0
    assert post(client, "ordersubmit", order_fields(hospital))["ret"] == 0
    assert Order.objects.count() == 2
