import datetime
import io

import pytest
import time_machine

from apoint import codes
from apoint.models import RateCounter, StaffMember, VerificationCode
from apoint.sms import SmsMessage, get_backend
from apoint.sms.local import ConsoleBackend
from tests.api_helpers import last_code, sent_messages

ROSTER_PHONE = "13900000001"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def roster_member(db) -> StaffMember:
    return StaffMember.objects.create(name="赵销售", phone=ROSTER_PHONE)


@pytest.fixture
def clock(settings):
    # Redis keeps its own clock, so counters moved by time-machine must be
    # the database ones.
    settings.REDIS_URL = ""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def send(client, phone=ROSTER_PHONE, ip="127.0.0.1"):
    response = client.post("/api/apoint/scrfcode/", {"phone": phone}, REMOTE_ADDR=ip)
    assert response.status_code == 200
    return response.json()


def test_send_to_roster_phone_succeeds(client, roster_member, clock, settings):
    assert send(client) == {"ret": 0, "msg": "success"}
    (message,) = sent_messages(settings)
    assert ROSTER_PHONE in message
    assert "5分钟内有效" in message


def test_send_code_is_six_digits(client, roster_member, clock, settings):
    send(client)
    code = last_code(settings)
    assert len(code) == 6
    assert code.isascii()
    assert code.isdigit()


def test_send_code_comes_from_secrets(
    client, roster_member, clock, settings, monkeypatch
):
    monkeypatch.setattr(codes.secrets, "randbelow", lambda bound: 42)
    send(client)
    assert last_code(settings) == "000042"


def test_send_off_roster_answers_same(client, db, clock, settings):
    assert send(client, "13900000099") == {"ret": 0, "msg": "success"}
    assert sent_messages(settings) == []
    assert VerificationCode.objects.count() == 0


def test_send_to_inactive_member_sends_nothing(client, roster_member, clock, settings):
    StaffMember.objects.filter(pk=roster_member.pk).update(is_active=False)
    assert send(client) == {"ret": 0, "msg": "success"}
    assert sent_messages(settings) == []


def test_send_stores_code_hashed(client, roster_member, clock, settings):
    send(client)
    code = last_code(settings)
    record = VerificationCode.objects.get(phone=ROSTER_PHONE)
    assert code not in record.code_hash
    assert len(record.code_hash) == 64


def test_send_code_valid_five_minutes(client, roster_member, clock):
    send(client)
    record = VerificationCode.objects.get(phone=ROSTER_PHONE)
    assert record.expires_at - record.created_at == datetime.timedelta(minutes=5)


@pytest.mark.parametrize(
    "phone", ["+86 139 0000 0001", "139-0000-0001", "８６13900000001"]
)
def test_send_normalises_phone(client, roster_member, clock, settings, phone):
    assert send(client, phone)["ret"] == 0
    assert VerificationCode.objects.filter(phone=ROSTER_PHONE).exists()


@pytest.mark.parametrize("phone", ["", "1390000000", "23900000001", "139OOOOOOO1"])
def test_send_rejects_bad_phone(client, db, clock, phone):
    body = send(client, phone)
    assert body["ret"] == 2
    assert body["msg"].startswith("phone ")


def test_send_twice_in_minute_limited(client, roster_member, clock, settings):
    send(client)
    clock.shift(30)
    assert send(client) == {"ret": 4, "msg": "请求过于频繁，请30秒后再试"}
    assert len(sent_messages(settings)) == 1


def test_send_after_minute_allowed(client, roster_member, clock, settings):
    send(client)
    clock.shift(61)
    assert send(client)["ret"] == 0
    assert len(sent_messages(settings)) == 2


def test_resend_limit_applies_off_roster(client, db, clock):
    assert send(client, "13900000099")["ret"] == 0
    assert send(client, "13900000099")["ret"] == 4


def test_new_code_replaces_old(client, roster_member, clock, settings):
    send(client)
    first = last_code(settings)
    clock.shift(61)
    send(client)
    second = last_code(settings)
    assert VerificationCode.objects.count() == 1
    record = VerificationCode.objects.get()
    assert record.code_hash == codes._hash(ROSTER_PHONE, second)
    if first != second:
        assert record.code_hash != codes._hash(ROSTER_PHONE, first)


def test_daily_cap_per_phone(client, roster_member, clock, settings):
    for _ in range(settings.APOINT_CODE_DAILY_LIMIT):
        assert send(client)["ret"] == 0
        clock.shift(61)
    body = send(client)
    assert body["ret"] == 4
    assert body["msg"].startswith("请求过于频繁")
    clock.shift(datetime.timedelta(days=1))
    assert send(client)["ret"] == 0


def test_hourly_cap_per_client_ip(client, db, clock, settings):
    settings.APOINT_CODE_HOURLY_IP_LIMIT = 20
    for number in range(20):
        assert send(client, f"139000001{number:02d}", ip="10.1.2.3")["ret"] == 0
    assert send(client, "13900000200", ip="10.1.2.3")["ret"] == 4
    assert send(client, "13900000200", ip="10.1.2.4")["ret"] == 0
    clock.shift(3601)
    assert send(client, "13900000201", ip="10.1.2.3")["ret"] == 0


def test_hourly_ip_cap_not_below_twenty(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_int

    monkeypatch.setenv("APOINT_CODE_HOURLY_IP_LIMIT", "19")
    with pytest.raises(ImproperlyConfigured):
        env_int("APOINT_CODE_HOURLY_IP_LIMIT", 30, minimum=20)


def test_counters_live_in_database(client, roster_member, clock):
    send(client)
    keys = set(RateCounter.objects.values_list("key", flat=True))
    assert f"code-resend:{ROSTER_PHONE}" in keys
    assert f"code-daily:{ROSTER_PHONE}" in keys
    assert "code-ip:127.0.0.1" in keys


def test_console_backend_writes_stream(roster_member, clock):
    stream = io.StringIO()
    ConsoleBackend(stream).send(SmsMessage(phone=ROSTER_PHONE, text="你好"))
    assert stream.getvalue() == f"[SMS to {ROSTER_PHONE}] 你好\n"


def test_console_backend_is_default(settings):
    settings.SMS_BACKEND = "console"
    get_backend.cache_clear()
    assert isinstance(get_backend(), ConsoleBackend)
    get_backend.cache_clear()


def test_failed_send_leaves_no_code(client, roster_member, clock, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.SMS_FILE_PATH = blocker
    body = send(client)
    assert body["ret"] == 7
    assert VerificationCode.objects.count() == 0


def test_send_get_not_allowed(client, db):
    response = client.get("/api/apoint/scrfcode/")
    assert response.status_code == 405
    assert response.json()["ret"] == 2
