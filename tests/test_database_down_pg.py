"""Database down: every API endpoint returns 503 JSON, then recovers.

The app reaches PostgreSQL through a TCP proxy that the test cuts and
restores, so the shared server itself is never touched. Requests go
through Django's WSGIHandler, not the test client, because the test client
turns off the connection checks at request boundaries that recovery needs.
"""

import datetime
from collections.abc import Iterator

import orjson
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from apoint import catalog
from apoint.models import OrderPhoto
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID, image_bytes
from tests.realservices import TcpProxy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("provinces"),
]

PROXY_PORT = 18320


class WsgiClient:
    """Send requests through the WSGI entry point that granian calls."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.factory = RequestFactory()

    def request(self, method: str, path: str, data: dict) -> "WsgiResponse":
        environ = getattr(self.factory, method)(path, data).environ
        started: list[str] = []

        def start_response(status: str, headers: list, exc_info=None) -> None:
            started.append(status)

        result = self.handler(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            # Closing the response sends request_finished, as a server does.
            result.close()
        return WsgiResponse(int(started[0].split()[0]), body)

    def get(self, path: str, data: dict | None = None) -> "WsgiResponse":
        return self.request("get", path, data or {})

    def post(self, path: str, data: dict) -> "WsgiResponse":
        return self.request("post", path, data)


class WsgiResponse:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    def json(self) -> dict:
        return orjson.loads(self.content)


@pytest.fixture
def database_proxy() -> Iterator[TcpProxy]:
    settings_dict = connection.settings_dict
    original = (settings_dict["HOST"], settings_dict["PORT"])
    proxy = TcpProxy(PROXY_PORT, int(original[1] or 5432))
    proxy.start()
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(PROXY_PORT)
    yield proxy
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = original
    proxy.stop()


def stored_photo_names() -> list[str]:
    try:
        return default_storage.listdir("photos")[1]
    except FileNotFoundError:
        return []


def endpoint_requests(hospital_id: int, province_id: int) -> list[tuple]:
    want = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    return [
        ("get", "/api/apoint/province/", {}),
        ("get", "/api/apoint/hospital/", {"area": str(province_id)}),
        (
            "post",
            "/api/apoint/ordersubmit/",
            {
                "name": "这是新患者",
                "openid": PATIENT_OPENID,
                "birthday": "2017-08-20",
                "sex": "男",
                "phone": "16253478956",
                "area": str(province_id),
                "wantTime": want,
                "hospital": str(hospital_id),
                "description": "",
                "photo": "[]",
            },
        ),
        ("get", "/api/apoint/myorder/", {"openid": PATIENT_OPENID}),
        ("post", "/api/apoint/scrfcode/", {"phone": "13912345678"}),
        (
            "post",
            "/api/apoint/staffauth/",
            {
                "openid": "o_NEWstaff0000000000000000000",
                "name": "赵销售",
                "email": "",
                "phone": "13912345678",
                "vercode": "123456",
            },
        ),
        ("get", "/api/apoint/mypatien/", {"openid": SALESPERSON_OPENID}),
        ("get", "/api/apoint/patsearch/", {"openid": SALESPERSON_OPENID, "name": "患"}),
        (
            "get",
            "/api/apoint/patientsdetail/",
            {"id": "1", "openid": SALESPERSON_OPENID},
        ),
        (
            "post",
            "/api/apoint/thememo/",
            {"id": "1", "openid": SALESPERSON_OPENID, "describe": "", "types": "6"},
        ),
    ]


def test_every_endpoint_503_then_recovers(database_proxy, hospital, salesperson):
    client = WsgiClient()
    requests = endpoint_requests(hospital.pk, hospital.province_id)
    assert client.get("/api/apoint/province/").status_code == 200

    database_proxy.stop()
    catalog.prepared.clear()
    for method, path, data in requests:
        response = getattr(client, method)(path, data)
        assert response.status_code == 503, (path, response.content)
        assert response.json() == {"ret": 7, "msg": "服务暂时不可用，请稍后再试"}
        assert b"Traceback" not in response.content
    stored_before = stored_photo_names()
    file = SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg")
    response = client.post("/api/apoint/upload/", {"file": file})
    assert response.status_code == 503
    assert response.json()["ret"] == 7
    assert stored_photo_names() == stored_before

    database_proxy.start()
    for method, path, data in requests[:4]:
        response = getattr(client, method)(path, data)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["ret"] == 0, (path, response.json())
    assert OrderPhoto.objects.count() == 0


def test_idle_connection_cut_recovers(database_proxy, hospital):
    client = WsgiClient()
    query = {"openid": PATIENT_OPENID}
    assert client.get("/api/apoint/myorder/", query).json()["ret"] == 6
    # The persistent connection is cut while idle, as a failover would.
    # The health check at the start of the next request finds it dead and
    # reconnects, so no request fails.
    database_proxy.stop()
    database_proxy.start()
    response = client.get("/api/apoint/myorder/", query)
    assert response.status_code == 200, response.content
    assert response.json()["ret"] == 6
