"""Uploads on an S3 bucket: moto's server on 127.0.0.1 with the real boto3."""

import datetime
import http.server
import threading
import urllib.request
from collections.abc import Iterator
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from storages.backends.s3 import S3Storage

from apoint.models import Order, OrderPhoto
from apoint.statuses import OrderStatus
from apoint.storage import object_key_from_url
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID, image_bytes, make_order
from tests.realservices import MOTO_PORT, S3_TEST_BUCKET, s3_storage_config

FULL_STORE_PORT = 18311
DEAD_PORT = 18398


def upload(client, data: bytes | None = None):
    file = SimpleUploadedFile("photo.jpg", data or image_bytes(), "image/jpeg")
    return client.post("/api/apoint/upload/", {"file": file}).json()


def submit(client, hospital, photos: list[str]):
    want = timezone.localdate() + datetime.timedelta(days=7)
    return client.post(
        "/api/apoint/ordersubmit/",
        {
            "name": "这是新患者",
            "openid": PATIENT_OPENID,
            "birthday": "2017-08-20",
            "sex": "男",
            "phone": "16253478956",
            "area": str(hospital.province_id),
            "wantTime": want.isoformat(),
            "hospital": str(hospital.pk),
            "description": "天使之吻",
            "photo": orjson.dumps(photos).decode(),
        },
    ).json()


def test_upload_returns_presigned_url(client, s3_bucket):
    body = upload(client)
    assert body["result"] == 0, body
    parts = urlsplit(body["imgurl"])
    query = parse_qs(parts.query)
    assert parts.netloc == f"127.0.0.1:{MOTO_PORT}"
    assert parts.path.startswith(f"/{S3_TEST_BUCKET}/photos/")
    assert "X-Amz-Signature" in query
    assert query["X-Amz-Expires"] == ["3600"]
    photo = OrderPhoto.objects.get()
    assert photo.file.name == parts.path.removeprefix(f"/{S3_TEST_BUCKET}/")
    with urllib.request.urlopen(body["imgurl"], timeout=5) as response:  # noqa: S310
        assert response.read()[:2] == b"\xff\xd8"


def test_upload_object_has_no_public_grant(client, s3_bucket):
    upload(client)
    name = OrderPhoto.objects.get().file.name
    grants = s3_bucket.get_object_acl(Bucket=S3_TEST_BUCKET, Key=name)["Grants"]
    grantees = [grant["Grantee"].get("URI", "") for grant in grants]
    assert not any("AllUsers" in uri or "AuthenticatedUsers" in uri for uri in grantees)


def test_submit_maps_url_to_key(client, s3_bucket, hospital):
    url = upload(client)["imgurl"]
    body = submit(client, hospital, [url])
    assert body["ret"] == 0, body
    photo = OrderPhoto.objects.get()
    assert photo.order_id == body["id"]
    assert photo.file.name.startswith("photos/")
    assert "?" not in photo.file.name


def test_submit_accepts_expired_url(client, s3_bucket, hospital):
    url = upload(client)["imgurl"]
    later = timezone.now() + datetime.timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        body = submit(client, hospital, [url])
    assert body["ret"] == 0, body
    assert OrderPhoto.objects.get().order_id == body["id"]


def test_submit_rejects_key_not_issued(client, s3_bucket, hospital):
    s3_bucket.put_object(Bucket=S3_TEST_BUCKET, Key="photos/planted.jpg", Body=b"x")
    planted = default_storage.url("photos/planted.jpg")
    body = submit(client, hospital, [planted])
    assert body["ret"] == 2
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.2:{MOTO_PORT}/apoint-test/photos/a.jpg",
        f"https://127.0.0.1:{MOTO_PORT}/apoint-test/photos/a.jpg",
        f"http://127.0.0.1:{MOTO_PORT}/other-bucket/photos/a.jpg",
        f"http://127.0.0.1:{MOTO_PORT}/apoint-test/other/a.jpg",
        f"http://127.0.0.1:{MOTO_PORT}/apoint-test/photos/../secret.jpg",
        f"http://127.0.0.1:{MOTO_PORT}/apoint-test/photos/a/b.jpg",
        f"http://127.0.0.1:{MOTO_PORT}/apoint-test/photos/a.jpg#x",
        "not a url",
    ],
)
def test_submit_rejects_foreign_urls(client, s3_bucket, hospital, url):
    body = submit(client, hospital, [url])
    assert body["ret"] == 2, body
    assert "photo" in body["msg"]
    assert Order.objects.count() == 0


def test_detail_photos_are_presigned(client, s3_bucket, hospital, salesperson):
    url = upload(client)["imgurl"]
    order_id = submit(client, hospital, [url])["id"]
    Order.objects.filter(pk=order_id).update(
        status=OrderStatus.CLAIMED, salesperson=salesperson
    )
    body = client.get(
        "/api/apoint/patientsdetail/",
        {"id": order_id, "openid": SALESPERSON_OPENID},
    ).json()
    assert body["ret"] == 0, body
    [photo] = body["data"]["photo"]
    assert "X-Amz-Signature" in parse_qs(urlsplit(photo).query)


def test_upload_storage_down(client, moto_server, settings, monkeypatch):
    config = s3_storage_config(
        monkeypatch, S3_ENDPOINT_URL=f"http://127.0.0.1:{DEAD_PORT}"
    )
    settings.STORAGES = {**settings.STORAGES, "default": config}
    body = upload(client)
    assert body["result"] == 1
    assert "存储服务暂时不可用" in body["msg"]
    assert OrderPhoto.objects.count() == 0


class _FullStoreHandler(http.server.BaseHTTPRequestHandler):
    """Respond to every request as MinIO does when its disks are full."""

    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Error>'
        b"<Code>XMinioStorageFull</Code>"
        b"<Message>Storage backend has reached its minimum free drive threshold."
        b"</Message></Error>"
    )

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(507)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_PUT = do_POST = do_GET = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def full_store() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", FULL_STORE_PORT), _FullStoreHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{FULL_STORE_PORT}"
    server.shutdown()
    server.server_close()


def test_upload_storage_full(client, full_store, settings, monkeypatch):
    config = s3_storage_config(monkeypatch, S3_ENDPOINT_URL=full_store)
    settings.STORAGES = {**settings.STORAGES, "default": config}
    body = upload(client)
    assert body["result"] == 1
    assert "存储服务暂时不可用" in body["msg"]
    assert OrderPhoto.objects.count() == 0


def _age(photo: OrderPhoto, hours: int) -> None:
    OrderPhoto.objects.filter(pk=photo.pk).update(
        uploaded_at=timezone.now() - datetime.timedelta(hours=hours)
    )


def test_purge_deletes_old_unattached(client, s3_bucket, hospital):
    for _ in range(3):
        upload(client)
    photos = list(OrderPhoto.objects.order_by("pk"))
    old, recent, attached = photos
    names = [photo.file.name for photo in photos]
    attached.order = make_order(hospital)
    attached.save(update_fields=["order"])
    _age(old, 25)
    _age(attached, 25)
    _age(recent, 23)
    out = StringIO()
    call_command("purge_unattached_photos", stdout=out)
    assert "Deleted 1 " in out.getvalue()
    remaining = set(OrderPhoto.objects.values_list("file", flat=True))
    assert remaining == {names[1], names[2]}
    keys = {
        item["Key"]
        for item in s3_bucket.list_objects_v2(Bucket=S3_TEST_BUCKET)["Contents"]
    }
    assert keys == {names[1], names[2]}


def test_purge_rejects_zero_hours(db):
    with pytest.raises(CommandError, match="--hours=0 is invalid"):
        call_command("purge_unattached_photos", hours=0)


def test_purge_local_files(client, hospital):
    upload(client)
    photo = OrderPhoto.objects.get()
    _age(photo, 30)
    assert default_storage.exists(photo.file.name)
    call_command("purge_unattached_photos", stdout=StringIO())
    assert OrderPhoto.objects.count() == 0
    assert not default_storage.exists(photo.file.name)


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_key_from_virtual_style_url(monkeypatch, signature_version):
    # Presigning is local: this test sends no request to the endpoint.
    config = s3_storage_config(
        monkeypatch,
        S3_ENDPOINT_URL="https://cos.ap-shanghai.myqcloud.com",
        S3_REGION="ap-shanghai",
        S3_ADDRESSING_STYLE="virtual",
        S3_SIGNATURE_VERSION=signature_version,
    )
    storage = S3Storage(**config["OPTIONS"])
    url = storage.url("photos/abc.jpg")
    assert urlsplit(url).netloc == f"{S3_TEST_BUCKET}.cos.ap-shanghai.myqcloud.com"
    assert object_key_from_url(storage, url) == "photos/abc.jpg"
    assert object_key_from_url(storage, url.split("?")[0]) == "photos/abc.jpg"
    other_bucket = url.replace(f"{S3_TEST_BUCKET}.", "other.", 1)
    assert object_key_from_url(storage, other_bucket) is None
