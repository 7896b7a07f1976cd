"""Security headers on API and media responses, and the client address."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from apoint import identity
from tests.conftest import image_bytes

HSTS = "max-age=31536000; includeSubDomains; preload"


@pytest.fixture
def behind_tls_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


def media_path(client) -> str:
    file = SimpleUploadedFile("a.png", image_bytes("PNG"), "image/png")
    url = client.post("/api/apoint/upload/", {"file": file}).json()["imgurl"]
    return url.removeprefix("http://testserver")


def assert_common_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]


def test_api_headers_over_tls(client, behind_tls_proxy):
    response = client.get("/api/apoint/province/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert_common_headers(response)
    assert response["Strict-Transport-Security"] == HSTS


def test_api_error_headers(client, behind_tls_proxy):
    response = client.get("/api/apoint/nothing/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 404
    assert_common_headers(response)
    assert response["Strict-Transport-Security"] == HSTS


def test_media_headers_over_tls(client, behind_tls_proxy, settings):
    # Only local files are served by the app; a bucket serves its own.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    response = client.get(media_path(client), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert_common_headers(response)
    assert response["Strict-Transport-Security"] == HSTS


def test_no_hsts_over_plain_http(client, behind_tls_proxy):
    response = client.get("/api/apoint/province/")
    assert_common_headers(response)
    assert "Strict-Transport-Security" not in response


def test_forwarded_proto_ignored_without_setting(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get("/api/apoint/province/", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in response


@pytest.fixture
def trusted_proxies(settings):
    settings.APOINT_TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    identity._trusted_networks.cache_clear()
    yield
    identity._trusted_networks.cache_clear()


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # Not from a trusted proxy: the header is whatever the client wrote.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ("203.0.113.9", "", "203.0.113.9"),
        # From a trusted proxy: the right-most address that is not a proxy.
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("10.1.2.3", "198.51.100.7, 10.0.0.5", "198.51.100.7"),
        # A client that prepends its own entry does not choose its address.
        ("127.0.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
        # Only proxies in the chain: the nearest proxy is the client.
        ("127.0.0.1", "10.0.0.5", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        # A chain the proxy did not write cleanly counts as the proxy's.
        ("127.0.0.1", "unknown", "127.0.0.1"),
        ("127.0.0.1", "198.51.100.1, unknown", "127.0.0.1"),
    ],
)
def test_client_ip(trusted_proxies, remote, forwarded, expected):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert identity.client_ip(request) == expected


def test_client_ip_without_trusted_proxies(settings):
    settings.APOINT_TRUSTED_PROXIES = []
    identity._trusted_networks.cache_clear()
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert identity.client_ip(request) == "127.0.0.1"
