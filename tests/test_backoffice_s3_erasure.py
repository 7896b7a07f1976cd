"""Erasure removes photos from S3-compatible storage too.

The storage is django-storages' S3Storage with boto3, talking to moto's S3
server on 127.0.0.1: no request leaves this machine.
"""

from collections.abc import Iterator

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apoint.models import OrderPhoto
from backoffice.services import patient_erase
from tests.realservices import free_port
from tests.test_backoffice_access import owned_order

MOTO_PORT = free_port(18510, 18549)
ENDPOINT = f"http://127.0.0.1:{MOTO_PORT}"
BUCKET = "apoint-erasure-test"
CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    server.start()
    yield ENDPOINT
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings, monkeypatch) -> Iterator[object]:
    # Keep botocore away from the instance metadata address.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.client("s3", endpoint_url=s3_server, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "region_name": CREDENTIALS["region_name"],
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_erase_deletes_s3_objects(
    s3_storage, admin_user, agent, hospital, django_capture_on_commit_callbacks
):
    order = owned_order(hospital, agent)
    name = default_storage.save("photos/s3-erase.jpg", ContentFile(b"jpeg bytes"))
    OrderPhoto.objects.create(order=order, file=name)
    keys = [
        item["Key"] for item in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]
    ]
    assert keys == [name]

    with django_capture_on_commit_callbacks(execute=True):
        patient_erase(order_id=order.pk, user=admin_user)

    assert s3_storage.list_objects_v2(Bucket=BUCKET).get("Contents", []) == []
    assert not OrderPhoto.objects.exists()
