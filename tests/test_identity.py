import pytest
from django.test import RequestFactory

from apoint import identity
from apoint.errors import ApiError, Ret
from apoint.models import Order
from tests.api_helpers import get, order_fields, post
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID


@pytest.fixture
def session_mode(settings):
    settings.APOINT_TRUST_CLIENT_OPENID = False


def with_session_openid(client, openid: str) -> None:
    session = client.session
    session[identity.SESSION_OPENID_KEY] = openid
    session.save()


def test_session_mode_without_session_refused(client, order, session_mode):
    body = get(client, "mypatien", {"openid": SALESPERSON_OPENID})
    assert body["ret"] == 5


def test_session_mode_uses_session_openid(client, order, session_mode):
    with_session_openid(client, SALESPERSON_OPENID)
    body = get(client, "mypatien", {})
    assert body["ret"] == 0
    assert [row["id"] for row in body["lister"]] == [order.pk]


def test_session_mode_mismatched_openid_refused(client, order, session_mode):
    with_session_openid(client, PATIENT_OPENID)
    body = get(client, "mypatien", {"openid": SALESPERSON_OPENID})
    assert body == {"ret": 5, "msg": "未认证或无权限"}


def test_trusted_mode_falls_back_to_session(client, order):
    with_session_openid(client, SALESPERSON_OPENID)
    assert get(client, "mypatien", {})["ret"] == 0


def test_bound_staff_rejects_malformed_openid(rf: RequestFactory, order):
    request = rf.get("/")
    request.session = {}
    with pytest.raises(ApiError) as caught:
        identity.bound_staff(request, "bad openid!")
    assert caught.value.ret == Ret.FORBIDDEN


def test_client_ip_ignores_untrusted_forwarding(rf: RequestFactory, settings):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert identity.client_ip(request) == "203.0.113.9"


def test_client_ip_reads_trusted_proxy(rf: RequestFactory, settings):
    settings.APOINT_TRUSTED_PROXIES = ["10.0.0.0/8"]
    identity._trusted_networks.cache_clear()
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7"
    )
    assert identity.client_ip(request) == "198.51.100.7"
    identity._trusted_networks.cache_clear()


def test_session_mode_submit_without_session_refused(client, hospital, session_mode):
    body = post(client, "ordersubmit", order_fields(hospital))
    assert body == {"ret": 5, "msg": "未通过微信授权，请从微信中打开"}
    assert not Order.objects.exists()


def test_session_mode_submit_uses_session_openid(client, hospital, session_mode):
    with_session_openid(client, PATIENT_OPENID)
    assert post(client, "ordersubmit", order_fields(hospital, openid=""))["ret"] == 0
    assert Order.objects.get().patient_openid == PATIENT_OPENID


def test_session_mode_myorder_mismatch_refused(client, order, session_mode):
    with_session_openid(client, "o_someone_else_0000001")
    body = get(client, "myorder", {"openid": PATIENT_OPENID})
    assert body == {"ret": 5, "msg": "未认证或无权限"}
