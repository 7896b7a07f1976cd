import importlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from apoint.identity import SESSION_OPENID_KEY
from tests.fakes.wechat import FakeWeChat
from wechat import urls as wechat_urls
from wechat.checks import check_wechat_settings

ORIGIN = "http://testserver"


def follow_to_wechat(client: Client, next_url: str = "/h5/order/") -> str:
    """Start the authorization and return WeChat's redirect to the callback."""
    response = client.get("/wechat/authorize/", {"next": next_url})
    assert response.status_code == 302
    wechat_page = response["Location"]
    answer = requests.get(wechat_page, allow_redirects=False, timeout=2)
    assert answer.status_code == 302
    return answer.headers["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_authorize_redirects_with_state(client, wechat):
    response = client.get("/wechat/authorize/", {"next": "/h5/"})
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert location.netloc == f"127.0.0.1:{wechat.port}"
    assert location.path == "/connect/oauth2/authorize"
    assert query["scope"] == ["snsapi_base"]
    assert query["appid"] == ["wx0000000000fake"]
    assert query["redirect_uri"] == ["http://testserver/wechat/callback/"]
    assert len(query["state"][0]) >= 32
    assert location.fragment == "wechat_redirect"


def test_round_trip_stores_openid(client, wechat: FakeWeChat):
    before = client.session.session_key
    back = follow_to_wechat(client, "/h5/order/?tab=1")
    response = client.get(callback_path(back))
    assert response.status_code == 302
    assert response["Location"] == "/h5/order/?tab=1"
    assert client.session[SESSION_OPENID_KEY] == wechat.user_openid
    assert client.session.session_key != before


def test_round_trip_then_api_uses_session(client, wechat, hospital, settings):
    settings.APOINT_TRUST_CLIENT_OPENID = False
    client.get(callback_path(follow_to_wechat(client)))
    body = client.get("/api/apoint/myorder/").json()
    assert body["ret"] == 6  # signed in, no order yet


def test_replayed_callback_creates_no_session(client, wechat):
    back = follow_to_wechat(client)
    client.get(callback_path(back))
    # The same browser again: the state was used up by the first visit.
    again = client.get(callback_path(back))
    assert again.status_code == 400
    # Another browser with the leaked URL has no pending state at all.
    stranger = Client()
    response = stranger.get(callback_path(back))
    assert response.status_code == 400
    assert "授权已失效" in response.content.decode()
    assert SESSION_OPENID_KEY not in stranger.session


def test_used_code_creates_no_session(client, wechat):
    back = follow_to_wechat(client)
    code = parse_qs(urlsplit(back).query)["code"][0]
    wechat.used_codes.add(code)
    wechat.codes.pop(code)
    response = client.get(callback_path(back))
    assert response.status_code == 400
    assert SESSION_OPENID_KEY not in client.session


def test_forged_code_creates_no_session(client, wechat):
    back = follow_to_wechat(client)
    state = parse_qs(urlsplit(back).query)["state"][0]
    response = client.get("/wechat/callback/", {"code": "forged", "state": state})
    assert response.status_code == 400
    assert SESSION_OPENID_KEY not in client.session


def test_forged_state_creates_no_session(client, wechat):
    back = follow_to_wechat(client)
    code = parse_qs(urlsplit(back).query)["code"][0]
    response = client.get("/wechat/callback/", {"code": code, "state": "forged"})
    assert response.status_code == 400
    assert SESSION_OPENID_KEY not in client.session
    # The code was never swapped, so WeChat saw no token request.
    assert not any(r.path == "/sns/oauth2/access_token" for r in wechat.requests)


def test_callback_without_authorize_rejected(client, wechat):
    code = wechat.issue_code()
    response = client.get("/wechat/callback/", {"code": code, "state": "x" * 32})
    assert response.status_code == 400
    assert SESSION_OPENID_KEY not in client.session


def test_wechat_down_creates_no_session(client, wechat):
    back = follow_to_wechat(client)
    wechat.delay_seconds = 1.5
    response = client.get(callback_path(back))
    assert response.status_code == 502
    assert SESSION_OPENID_KEY not in client.session


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""],
)
def test_foreign_next_goes_home(client, wechat, next_url):
    back = follow_to_wechat(client, next_url)
    response = client.get(callback_path(back))
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_authorize_unconfigured_is_503(client, settings):
    settings.WECHAT_API_BASE_URL = ""
    response = client.get("/wechat/authorize/")
    assert response.status_code == 503


# ---- development sign-in --------------------------------------------------


def test_dev_signin_form_lists_identities(client, salesperson):
    response = client.get("/dev/signin/", {"next": "/h5/"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="openid"' in page
    assert salesperson.openid in page
    assert "o_dev_family_0000000000000001" in page
    assert 'value="/h5/"' in page


def test_dev_signin_sets_session(client):
    response = client.post(
        "/dev/signin/", {"openid": "o_dev_family_0000000000000001", "next": "/h5/x"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/h5/x"
    assert client.session[SESSION_OPENID_KEY] == "o_dev_family_0000000000000001"


def test_dev_signin_rejects_foreign_next(client):
    response = client.post(
        "/dev/signin/", {"openid": "o_dev_family_1", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_dev_signin_rejects_bad_openid(client):
    response = client.post("/dev/signin/", {"openid": "", "next": "/"})
    assert response.status_code == 400
    assert SESSION_OPENID_KEY not in client.session


def test_dev_signin_needs_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/dev/signin/", {"openid": "o_dev_family_1"})
    assert response.status_code == 403


def test_dev_signin_view_refuses_production(client, settings):
    settings.LOCAL_MODE = False
    response = client.post("/dev/signin/", {"openid": "o_dev_family_1"})
    assert response.status_code == 404
    assert SESSION_OPENID_KEY not in client.session


def test_dev_signin_not_routed_in_production(settings):
    settings.LOCAL_MODE = False
    try:
        routes = importlib.reload(wechat_urls).urlpatterns
        assert [str(route.pattern) for route in routes] == [
            "wechat/authorize/",
            "wechat/callback/",
        ]
    finally:
        settings.LOCAL_MODE = True
        importlib.reload(wechat_urls)


def test_production_check_needs_wechat(settings):
    settings.LOCAL_MODE = False
    settings.WECHAT_APP_SECRET = ""
    errors = check_wechat_settings()
    assert [error.id for error in errors] == ["wechat.E001"] * 4
    assert "WECHAT_APP_SECRET" in errors[1].msg


def test_production_check_passes_configured(settings, wechat):
    settings.LOCAL_MODE = False
    assert check_wechat_settings() == []
