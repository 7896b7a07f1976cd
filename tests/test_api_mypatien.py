import datetime

from django.utils import timezone

from apoint.models import Order, StaffMember
from apoint.statuses import OrderStatus
from tests.api_helpers import get
from tests.conftest import OTHER_SALESPERSON_OPENID, SALESPERSON_OPENID, make_order


def patients(client, openid=SALESPERSON_OPENID):
    return get(client, "mypatien", {"openid": openid})


def test_mypatien_lists_example_row(client, order):
    body = patients(client)
    assert body["ret"] == 0
    assert body["msg"] == "success"
    (row,) = body["lister"]
    assert row["wantTime"] == order.want_date.isoformat()
    assert row["hospital"] == "上海医院"
    assert row["sex"] == "男"
    assert row["id"] == order.pk
    assert row["name"] == "这是新患者"
    assert row["status"] == OrderStatus.CLAIMED
    assert row["statusLabel"] == "已认领未确认"


def test_mypatien_skips_unclaimed_orders(client, hospital):
    make_order(hospital, status=OrderStatus.UNCLAIMED)
    assert patients(client)["lister"] == []


def test_mypatien_other_salesperson_sees_nothing(client, order, other_salesperson):
    body = patients(client, OTHER_SALESPERSON_OPENID)
    assert body == {"ret": 0, "msg": "success", "lister": []}


def test_mypatien_lists_only_own_orders(
    client, hospital, beijing_hospital, other_salesperson
):
    own = make_order(hospital, openid="o_family_own_000001")
    make_order(beijing_hospital, openid="o_family_other_00001")
    assert [row["id"] for row in patients(client)["lister"]] == [own.pk]


def test_mypatien_keeps_closed_orders(client, hospital):
    closed = make_order(hospital, status=OrderStatus.PAUSED)
    assert [row["id"] for row in patients(client)["lister"]] == [closed.pk]


def test_mypatien_next_call_first(client, hospital):
    older = make_order(hospital, openid="o_family_older_00001")
    newer = make_order(hospital, openid="o_family_newer_00001")
    due = make_order(hospital, openid="o_family_due_0000001")
    Order.objects.filter(pk=due.pk).update(
        next_call_date=timezone.localdate() + datetime.timedelta(days=2)
    )
    ids = [row["id"] for row in patients(client)["lister"]]
    assert ids == [due.pk, newer.pk, older.pk]


def test_mypatien_unknown_openid_refused(client, order):
    body = patients(client, "o_unknown_openid_000001")
    assert body == {"ret": 5, "msg": "未认证或无权限"}


def test_mypatien_missing_openid_refused(client, order):
    assert patients(client, "") == {"ret": 5, "msg": "未认证或无权限"}


def test_mypatien_inactive_salesperson_refused(client, order, salesperson):
    StaffMember.objects.filter(pk=salesperson.pk).update(is_active=False)
    assert patients(client)["ret"] == 5


def test_mypatien_query_count_constant(
    client, hospital, salesperson, django_assert_num_queries
):
    for number in range(5):
        make_order(hospital, openid=f"o_family_count_{number:05d}")
    with django_assert_num_queries(2):
        assert len(patients(client)["lister"]) == 5


def test_mypatien_post_not_allowed(client, db):
    response = client.post("/api/apoint/mypatien/", {"openid": SALESPERSON_OPENID})
    assert response.status_code == 405
    assert response.json()["ret"] == 2
