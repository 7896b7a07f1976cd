import datetime

import pytest
import time_machine

from apoint import codes
from apoint.models import StaffMember, VerificationCode
from tests.api_helpers import last_code, post
from tests.conftest import SALESPERSON_OPENID

NEW_OPENID = "o_MHBjNEWstaff000000000000001"
ROSTER_PHONE = "13900000001"
ROSTER_NAME = "赵销售"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def roster_member(db) -> StaffMember:
    return StaffMember.objects.create(name=ROSTER_NAME, phone=ROSTER_PHONE)


@pytest.fixture
def clock(settings):
    # Redis keeps its own clock, so counters moved by time-machine must be
    # the database ones.
    settings.REDIS_URL = ""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def code(roster_member, clock, settings) -> str:
    codes.code_send(phone=ROSTER_PHONE, client_ip="127.0.0.1")
    return last_code(settings)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def auth(client, code, **overrides):
    fields = {
        "openid": NEW_OPENID,
        "name": ROSTER_NAME,
        "email": "zhao@example.com",
        "phone": ROSTER_PHONE,
        "vercode": code,
    }
    fields.update(overrides)
    return post(client, "staffauth", fields)


def test_auth_binds_openid(client, code, roster_member):
    assert auth(client, code) == {"ret": 0, "msg": "success"}
    roster_member.refresh_from_db()
    assert roster_member.openid == NEW_OPENID
    assert roster_member.email == "zhao@example.com"
    assert roster_member.bound_at is not None


def test_auth_consumes_code(client, code):
    auth(client, code)
    assert VerificationCode.objects.get().used_at is not None


def test_auth_accepts_formatted_phone(client, code, roster_member):
    assert auth(client, code, phone="+86 139-0000-0001")["ret"] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("openid", ""),
        ("openid", "o_bad openid"),
        ("name", ""),
        ("email", "not-an-email"),
        ("phone", "1390000000"),
        ("vercode", ""),
        ("vercode", "12345"),
        ("vercode", "1234567"),
        ("vercode", "12345a"),
        ("vercode", "١٢٣٤٥٦"),
    ],
)
def test_auth_rejects_malformed_field(client, code, field, value):
    body = auth(client, code, **{field: value})
    assert body["ret"] == 2
    assert body["msg"].startswith(f"{field} ")
    assert StaffMember.objects.exclude(openid=None).count() == 0


def test_auth_email_optional(client, code):
    assert auth(client, code, email="")["ret"] == 0


def test_auth_bound_openid_already_authenticated(client, code, salesperson):
    body = auth(client, wrong(code), openid=SALESPERSON_OPENID)
    assert body == {"ret": -1, "msg": "你已经认证过"}
    assert VerificationCode.objects.get().failed_attempts == 0


def test_auth_malformed_precedes_already_bound(client, code, salesperson):
    body = auth(client, code, openid=SALESPERSON_OPENID, phone="123")
    assert body["ret"] == 2


def test_auth_wrong_code_rejected(client, code):
    body = auth(client, wrong(code))
    assert body == {"ret": 3, "msg": "验证码错误或已过期"}
    assert VerificationCode.objects.get().failed_attempts == 1


def test_auth_without_code_rejected(client, roster_member):
    assert auth(client, "123456") == {"ret": 3, "msg": "验证码错误或已过期"}


def test_auth_code_precedes_roster(client, code):
    body = auth(client, wrong(code), name="错名字")
    assert body["ret"] == 3


def test_auth_expired_code_rejected(client, code, clock):
    clock.shift(datetime.timedelta(minutes=5, seconds=1))
    assert auth(client, code) == {"ret": 3, "msg": "验证码错误或已过期"}


def test_auth_code_valid_until_expiry(client, code, clock):
    clock.shift(datetime.timedelta(minutes=4, seconds=59))
    assert auth(client, code)["ret"] == 0


def test_auth_used_code_rejected(client, code, roster_member):
    assert auth(client, code)["ret"] == 0
    StaffMember.objects.filter(pk=roster_member.pk).update(openid=None)
    body = auth(client, code, openid="o_second_openid_00000001")
    assert body == {"ret": 3, "msg": "验证码错误或已过期"}


def test_auth_code_void_after_five_failures(client, code):
    for _ in range(5):
        assert auth(client, wrong(code))["ret"] == 3
    assert auth(client, code) == {"ret": 3, "msg": "验证码错误或已过期"}


def test_auth_code_survives_four_failures(client, code):
    for _ in range(4):
        assert auth(client, wrong(code))["ret"] == 3
    assert auth(client, code)["ret"] == 0


def test_auth_old_code_replaced(client, code, clock, settings):
    clock.shift(61)
    codes.code_send(phone=ROSTER_PHONE, client_ip="127.0.0.1")
    new_code = last_code(settings)
    if new_code != code:
        assert auth(client, code)["ret"] == 3
    assert auth(client, new_code)["ret"] == 0


def test_auth_wrong_name_mismatch(client, code):
    body = auth(client, code, name="钱销售")
    assert body == {"ret": 1, "msg": "手机号或姓名不匹配"}
    assert VerificationCode.objects.get().used_at is None


def test_auth_inactive_member_mismatch(client, code, roster_member):
    StaffMember.objects.filter(pk=roster_member.pk).update(is_active=False)
    assert auth(client, code) == {"ret": 1, "msg": "手机号或姓名不匹配"}


def test_auth_member_bound_elsewhere(client, code, roster_member):
    StaffMember.objects.filter(pk=roster_member.pk).update(openid="o_other_0000000001")
    body = auth(client, code)
    assert body == {"ret": 1, "msg": "该员工已绑定其他微信，如需更换请联系管理员"}
    roster_member.refresh_from_db()
    assert roster_member.openid == "o_other_0000000001"


def test_auth_get_not_allowed(client, db):
    response = client.get("/api/apoint/staffauth/")
    assert response.status_code == 405
    assert response.json()["ret"] == 2
