import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apoint.codes import _hash
from apoint.identity import SESSION_OPENID_KEY
from apoint.models import StaffMember, VerificationCode
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID, make_order

ORIGIN = "http://testserver"

# Every endpoint that takes an openid: (method, path, fields).
OPENID_ENDPOINTS = [
    ("get", "/api/apoint/myorder/", {}),
    ("get", "/api/apoint/mypatien/", {}),
    ("get", "/api/apoint/patsearch/", {"name": "患者"}),
    ("get", "/api/apoint/patientsdetail/", {"id": "1"}),
    ("post", "/api/apoint/thememo/", {"id": "1", "types": "6", "describe": "x"}),
    ("post", "/api/apoint/staffauth/", {"name": "王销售", "phone": "13800000001"}),
    ("post", "/api/apoint/ordersubmit/", {"name": "这是新患者"}),
]


def signed_in(openid: str) -> Client:
    client = Client(HTTP_ORIGIN=ORIGIN)
    session = client.session
    session[SESSION_OPENID_KEY] = openid
    session.save()
    client.cookies["sessionid"] = str(session.session_key)
    return client


@pytest.fixture
def untrusted(settings):
    settings.APOINT_TRUST_CLIENT_OPENID = False


@pytest.mark.parametrize(("method", "path", "fields"), OPENID_ENDPOINTS)
def test_openid_mismatch_is_ret_5(untrusted, salesperson, method, path, fields):
    client = signed_in(SALESPERSON_OPENID)
    response = getattr(client, method)(path, {**fields, "openid": PATIENT_OPENID})
    body = response.json()
    assert body["ret"] == 5, body


@pytest.mark.parametrize(("method", "path", "fields"), OPENID_ENDPOINTS)
def test_no_session_is_ret_5(untrusted, salesperson, method, path, fields):
    client = Client(HTTP_ORIGIN=ORIGIN)
    response = getattr(client, method)(path, {**fields, "openid": SALESPERSON_OPENID})
    assert response.json()["ret"] == 5


def test_session_openid_used_when_none_sent(untrusted, order):
    client = signed_in(PATIENT_OPENID)
    body = client.get("/api/apoint/myorder/").json()
    assert body["ret"] == 0
    assert body["data"]["id"] == order.pk


def test_matching_openid_accepted(untrusted, order):
    client = signed_in(PATIENT_OPENID)
    body = client.get("/api/apoint/myorder/", {"openid": PATIENT_OPENID}).json()
    assert body["ret"] == 0


def test_trusted_openid_used_as_sent(order):
    body = Client().get("/api/apoint/myorder/", {"openid": PATIENT_OPENID}).json()
    assert body["ret"] == 0


@pytest.mark.parametrize("openid", ["", "   "])
@pytest.mark.parametrize(("method", "path", "fields"), OPENID_ENDPOINTS)
def test_empty_openid_never_looked_up(hospital, method, path, fields, openid):
    # An order whose openid is empty must not be found by an empty lookup.
    make_order(hospital, openid="")
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, {**fields, "openid": openid})
    assert response.json()["ret"] in {2, 5}
    lookups = [
        query["sql"]
        for query in queries.captured_queries
        if "apoint_order" in query["sql"] or "apoint_staffmember" in query["sql"]
    ]
    assert lookups == []


def test_cross_site_post_rejected(untrusted, salesperson, order):
    client = signed_in(SALESPERSON_OPENID)
    response = client.post(
        "/api/apoint/thememo/",
        {"id": str(order.pk), "types": "6", "describe": "x"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.json()["ret"] == 5
    assert order.memos.count() == 0


def test_post_without_origin_rejected(untrusted, salesperson, order):
    client = signed_in(SALESPERSON_OPENID)
    del client.defaults["HTTP_ORIGIN"]
    response = client.post(
        "/api/apoint/thememo/", {"id": str(order.pk), "types": "6", "describe": "x"}
    )
    assert response.json()["ret"] == 5


def test_same_site_referer_accepted(untrusted, salesperson, order):
    client = signed_in(SALESPERSON_OPENID)
    del client.defaults["HTTP_ORIGIN"]
    response = client.post(
        "/api/apoint/thememo/",
        {"id": str(order.pk), "types": "6", "describe": "x"},
        HTTP_REFERER="http://testserver/h5/patient/1",
    )
    assert response.json()["ret"] == 0


def test_trusted_session_post_checks_origin(salesperson, order):
    # Trust on, no openid sent: the call relies on the session.
    client = signed_in(SALESPERSON_OPENID)
    response = client.post(
        "/api/apoint/thememo/",
        {"id": str(order.pk), "types": "6", "describe": "x"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.json()["ret"] == 5


def test_bind_cycles_session_id(untrusted, agent):
    unbound = StaffMember.objects.create(name="赵销售", phone="13800000009")
    client = signed_in("o_new_salesperson_0000000001")
    VerificationCode.objects.create(
        phone=unbound.phone,
        code_hash=_hash(unbound.phone, "123456"),
        created_at="2026-01-01T00:00:00Z",
        expires_at="2099-01-01T00:00:00Z",
    )
    before = client.cookies["sessionid"].value
    body = client.post(
        "/api/apoint/staffauth/",
        {"name": "赵销售", "phone": unbound.phone, "vercode": "123456"},
    ).json()
    assert body["ret"] == 0, body
    after = client.cookies["sessionid"].value
    assert after != before
    assert client.session[SESSION_OPENID_KEY] == "o_new_salesperson_0000000001"
    unbound.refresh_from_db()
    assert unbound.openid == "o_new_salesperson_0000000001"


def test_production_cookies_are_secure(tmp_path):
    env = {
        **os.environ,
        "APOINT_MODE": "production",
        "SECRET_KEY": "k3Y-" + "x7Qz9" * 10,
        "ALLOWED_HOSTS": "apoint.example",
        "APOINT_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    script = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE,"
        " s.APOINT_TRUST_CLIENT_OPENID)"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True
    )
    assert output.returncode == 0, output.stderr
    assert output.stdout.split() == ["True", "True", "Lax", "True", "False"]
