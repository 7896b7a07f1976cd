"""Faults: the cache down, and an error in the middle of a submission."""

import datetime
from pathlib import Path

import orjson
import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone

from apoint import services
from apoint.models import Order, OrderEvent, OrderPhoto, StaffMember, VerificationCode
from tests.conftest import PATIENT_OPENID, image_bytes

DEAD_REDIS = "redis://127.0.0.1:18397/0"
ROSTER_PHONE = "13912345678"


def order_form(hospital, photos: list[str]) -> dict[str, str]:
    want = timezone.localdate() + datetime.timedelta(days=7)
    return {
        "name": "这是新患者",
        "openid": PATIENT_OPENID,
        "birthday": "2017-08-20",
        "sex": "女",
        "phone": "16253478956",
        "area": str(hospital.province_id),
        "wantTime": want.isoformat(),
        "hospital": str(hospital.pk),
        "description": "天使之吻",
        "photo": orjson.dumps(photos).decode(),
    }


def upload_url(client) -> str:
    file = SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg")
    body = client.post("/api/apoint/upload/", {"file": file}).json()
    assert body["result"] == 0, body
    return body["imgurl"]


@pytest.fixture
def cache_down(settings):
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {
            "BACKEND": "apoint.cache.FailSoftRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_cache_down_code_send_fails_closed(client, cache_down, settings):
    StaffMember.objects.create(
        name="赵销售", phone=ROSTER_PHONE, role=StaffMember.Role.SALESPERSON
    )
    response = client.post("/api/apoint/scrfcode/", {"phone": ROSTER_PHONE})
    assert response.status_code == 503
    assert response.json() == {"ret": 7, "msg": "验证码服务暂时不可用，请稍后再试"}
    assert not Path(settings.SMS_FILE_PATH).exists()
    assert VerificationCode.objects.count() == 0


def test_cache_down_rest_works(client, cache_down, hospital):
    assert client.get("/api/apoint/province/").json()["ret"] == 0
    hospitals = client.get("/api/apoint/hospital/").json()
    assert hospitals["lister"] == [{"id": hospital.pk, "hospits": "上海医院"}]
    url = upload_url(client)
    body = client.post("/api/apoint/ordersubmit/", order_form(hospital, [url]))
    assert body.json()["ret"] == 0, body.json()
    myorder = client.get("/api/apoint/myorder/", {"openid": PATIENT_OPENID})
    assert myorder.json()["ret"] == 0


@pytest.mark.usefixtures("provinces")
@pytest.mark.parametrize(
    ("error", "status"),
    [(OperationalError("server closed the connection"), 503), (RuntimeError(), 500)],
)
def test_error_before_photos_commits_nothing(
    client, hospital, monkeypatch, error, status
):
    url = upload_url(client)

    def fail(order, photo_names):
        assert Order.objects.filter(pk=order.pk).exists()
        raise error

    monkeypatch.setattr(services, "_attach_photos", fail)
    response = client.post("/api/apoint/ordersubmit/", order_form(hospital, [url]))
    assert response.status_code == status
    assert response.json()["ret"] in {7, 8}
    assert "Traceback" not in response.content.decode()
    assert Order.objects.count() == 0
    assert OrderEvent.objects.count() == 0
    assert OrderPhoto.objects.get().order_id is None


def test_local_storage_unwritable(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    file = SimpleUploadedFile("a.jpg", image_bytes(), "image/jpeg")
    body = client.post("/api/apoint/upload/", {"file": file}).json()
    assert body["result"] == 1
    assert "存储服务暂时不可用" in body["msg"]
    assert OrderPhoto.objects.count() == 0


def test_fail_soft_cache_misses(cache_down):
    from django.core.cache import caches

    cache = caches["default"]
    assert cache.get("key", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("key", 1) is False
    assert cache.delete("key") is False
    cache.set("key", 1)
    with pytest.raises(redis.RedisError):
        cache.incr("key")
