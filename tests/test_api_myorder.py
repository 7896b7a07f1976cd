from apoint.statuses import OrderStatus
from tests.api_helpers import get, order_fields, post
from tests.conftest import PATIENT_OPENID, make_order


def test_myorder_returns_newest_order(client, hospital):
    make_order(hospital, status=OrderStatus.PAUSED, name="旧单")
    order_id = post(client, "ordersubmit", order_fields(hospital))["id"]
    body = get(client, "myorder", {"openid": PATIENT_OPENID})
    assert body["ret"] == 0
    data = body["data"]
    assert data["id"] == order_id
    assert data["status"] == OrderStatus.UNCLAIMED
    assert data["statusLabel"] == "未认领"
    assert data["hospital"] == "上海医院"
    assert data["wantTime"] == order_fields(hospital)["wantTime"]
    assert len(data["submitTime"]) == len("2018-01-30 11:39")


def test_myorder_without_order_not_found(client, db):
    body = get(client, "myorder", {"openid": PATIENT_OPENID})
    assert body == {"ret": 6, "msg": "预约单不存在"}


def test_myorder_hides_other_patients(client, hospital):
    make_order(hospital, openid="o_another_family_00001")
    assert get(client, "myorder", {"openid": PATIENT_OPENID})["ret"] == 6


def test_myorder_requires_openid(client, db):
    assert get(client, "myorder", {"openid": ""}) == {
        "ret": 2,
        "msg": "openid 不能为空",
    }
