from apoint.statuses import OrderStatus
from tests.api_helpers import get
from tests.conftest import OTHER_SALESPERSON_OPENID, SALESPERSON_OPENID, make_order


def search(client, name, openid=SALESPERSON_OPENID):
    return get(client, "patsearch", {"openid": openid, "name": name})


def test_patsearch_finds_name_part(client, hospital):
    match = make_order(hospital, openid="o_family_match_00001", name="张小明")
    make_order(hospital, openid="o_family_miss_000001", name="李大华")
    body = search(client, "小明")
    assert body["ret"] == 0
    assert [row["id"] for row in body["lister"]] == [match.pk]
    assert set(body["lister"][0]) >= {"wantTime", "hospital", "sex", "id", "name"}


def test_patsearch_other_salesperson_sees_nothing(client, order, other_salesperson):
    body = search(client, "患者", OTHER_SALESPERSON_OPENID)
    assert body == {"ret": 0, "msg": "success", "lister": []}


def test_patsearch_skips_unclaimed_orders(client, hospital):
    make_order(hospital, status=OrderStatus.UNCLAIMED)
    assert search(client, "患者")["lister"] == []


def test_patsearch_treats_wildcards_literally(client, order):
    assert search(client, "%")["lister"] == []


def test_patsearch_empty_name_rejected(client, order):
    assert search(client, " ") == {"ret": 2, "msg": "name 不能为空"}


def test_patsearch_unbound_openid_refused(client, order):
    body = search(client, "患者", "o_unknown_openid_000001")
    assert body == {"ret": 5, "msg": "未认证或无权限"}
