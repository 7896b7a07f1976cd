"""Request ids, JSON log lines, and personal data kept out of the logs."""

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from apoint import identity
from apoint.logcontext import mask_text
from apoint.models import StaffMember

ROOT = Path(__file__).resolve().parent.parent
ROSTER_PHONE = "13912345678"


def test_response_has_new_request_id(client):
    first = client.get("/api/apoint/province/")["X-Request-ID"]
    second = client.get("/api/apoint/province/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_request_id_on_log_records(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/api/apoint/province/?openid=o_MHBjlLNNi2JzTQWiC-P223dbc0")
    [line] = [r for r in caplog.records if r.name == "apoint.requestlog"]
    assert line.getMessage().startswith("GET /api/apoint/province/ 200 ")
    assert "openid" not in line.getMessage()
    assert line.request_id == response["X-Request-ID"]


@pytest.fixture
def trusted_loopback(settings):
    settings.APOINT_TRUSTED_PROXIES = ["127.0.0.1"]
    identity._trusted_networks.cache_clear()
    yield
    identity._trusted_networks.cache_clear()


def test_proxy_request_id_kept(client, trusted_loopback):
    response = client.get("/api/apoint/province/", HTTP_X_REQUEST_ID="f00dfeed1234abcd")
    assert response["X-Request-ID"] == "f00dfeed1234abcd"


@pytest.mark.parametrize("sent", ["short", "has space in it", "x" * 65, "a\nb" * 5])
def test_invalid_request_id_replaced(client, trusted_loopback, sent):
    response = client.get("/api/apoint/province/", HTTP_X_REQUEST_ID=sent)
    assert response["X-Request-ID"] != sent


def test_untrusted_request_id_replaced(client, settings):
    settings.APOINT_TRUSTED_PROXIES = []
    identity._trusted_networks.cache_clear()
    response = client.get("/api/apoint/province/", HTTP_X_REQUEST_ID="f00dfeed1234abcd")
    assert response["X-Request-ID"] != "f00dfeed1234abcd"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sent to 13812345678", "sent to 138****5678"),
        ("phone=+8613812345678.", "phone=+86138****5678."),
        ("id 213812345678 is no phone", "id 213812345678 is no phone"),
        ("openid o_MHBjlLNNi2JzTQWiC-P223dbc0 bound", "openid o_MH…dbc0 bound"),
        ("order 12345678901", "order 12345678901"),
    ],
)
def test_mask_text(text, expected):
    assert mask_text(text) == expected


def test_json_log_lines_masked(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("S3_", "DATABASE_", "REDIS_"))
    }
    env.update({"LOG_FORMAT": "json", "APOINT_VAR_DIR": str(tmp_path)})
    code = (
        "import logging; logging.getLogger('apoint.test').warning("
        "'send to %s failed', '13812345678')"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "apoint.test" in line]
    record = json.loads(line)
    assert record["level"] == "WARNING"
    assert record["name"] == "apoint.test"
    assert record["request_id"] == "-"
    assert record["message"] == "send to 138****5678 failed"
    assert "time" in record


def test_code_never_logged(client, caplog, settings):
    caplog.set_level(logging.DEBUG)
    StaffMember.objects.create(
        name="赵销售", phone=ROSTER_PHONE, role=StaffMember.Role.SALESPERSON
    )
    body = client.post("/api/apoint/scrfcode/", {"phone": ROSTER_PHONE}).json()
    assert body["ret"] == 0, body
    [sms] = list(Path(settings.SMS_FILE_PATH).iterdir())
    code = re.search(r"验证码是(\d{6})", sms.read_text()).group(1)
    body = client.post(
        "/api/apoint/staffauth/",
        {
            "openid": "o_NEWstaff0000000000000000000",
            "name": "赵销售",
            "email": "",
            "phone": ROSTER_PHONE,
            "vercode": code,
        },
    ).json()
    assert body["ret"] == 0, body
    messages = [record.getMessage() for record in caplog.records]
    assert messages
    assert not any(code in message for message in messages)
    assert not any(ROSTER_PHONE in message for message in messages)


def test_django_request_log_has_id(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/api/apoint/nothing/")
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.request_id == response["X-Request-ID"]
