"""`/healthz` names each dependency that failed."""

import pytest

from tests.realservices import s3_storage_config

DEAD_PORT = 18398


def test_healthz_all_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ret"] == 0
    assert body["checks"] == {"database": "ok", "cache": "ok", "storage": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_cache_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "apoint.cache.FailSoftRedisCache",
            "LOCATION": f"redis://127.0.0.1:{DEAD_PORT}/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ret"] == 7
    assert body["failed"] == ["cache"]
    assert body["checks"]["database"] == "ok"


def test_healthz_storage_down(client, moto_server, settings, monkeypatch):
    config = s3_storage_config(
        monkeypatch, S3_ENDPOINT_URL=f"http://127.0.0.1:{DEAD_PORT}"
    )
    settings.STORAGES = {**settings.STORAGES, "default": config}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_healthz_missing_bucket(client, moto_server, settings, monkeypatch):
    config = s3_storage_config(monkeypatch, S3_BUCKET="no-such-bucket")
    settings.STORAGES = {**settings.STORAGES, "default": config}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


@pytest.mark.usefixtures("provinces")
def test_healthz_database_down(client, settings, tmp_path):
    from django.db import connection

    connection.close()
    original = connection.settings_dict["NAME"]
    # A SQLite file in a folder that does not exist cannot be opened;
    # PostgreSQL gets a port where nothing listens.
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        original = connection.settings_dict["PORT"]
        connection.settings_dict["PORT"] = str(DEAD_PORT)
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = original
        else:
            connection.settings_dict["PORT"] = original
    assert response.status_code == 503
    assert "database" in response.json()["failed"]


def test_healthz_rejects_post(client):
    assert client.post("/healthz").status_code == 405
