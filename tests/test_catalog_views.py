"""The plain-view province and hospital lists behave as the ninja operations."""

import pytest
from django.urls import resolve

from apoint import catalog_views


def test_catalog_paths_resolve_to_plain_views(db):
    assert resolve("/api/apoint/province/").func is catalog_views.province_list
    assert resolve("/api/apoint/hospital/").func is catalog_views.hospital_list


def test_hospital_list_filters_by_area(client, hospital, beijing_hospital):
    body = client.get(f"/api/apoint/hospital/?area={hospital.province_id}").json()
    assert body["ret"] == 0
    assert body["lister"] == [{"id": hospital.pk, "hospits": "上海医院"}]


def test_hospital_list_all_active(client, hospital, beijing_hospital):
    body = client.get("/api/apoint/hospital/").json()
    assert body["ret"] == 0
    assert {row["id"] for row in body["lister"]} == {hospital.pk, beijing_hospital.pk}


def test_hospital_list_invalid_area(client, hospital):
    response = client.get("/api/apoint/hospital/?area=abc")
    assert response.status_code == 200
    assert response.json() == {"ret": 2, "msg": "area 必须是正整数"}


def test_hospital_list_unknown_province(client, hospital):
    response = client.get("/api/apoint/hospital/?area=999")
    assert response.status_code == 200
    assert response.json() == {"ret": 6, "msg": "省份不存在"}


def test_catalog_post_rejected_as_json(client, db):
    for path in ("/api/apoint/province/", "/api/apoint/hospital/"):
        response = client.post(path)
        assert response.status_code == 405, path
        assert response["Content-Type"].startswith("application/json"), path
        assert response.json()["ret"] == 2, path
        assert response["Allow"] == "GET, HEAD", path


def test_province_list_json_content_type(client, db):
    response = client.get("/api/apoint/province/")
    assert response["Content-Type"] == "application/json"
    assert len(response.json()["lister"]) == 34


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.parametrize("path", ["province", "hospital"])
def test_catalog_wrong_method_is_json(client, db, method, path):
    response = getattr(client, method)(f"/api/apoint/{path}/")
    assert response.status_code == 405
    assert response.json()["ret"] == 2


def test_catalog_head_allowed(client, db):
    assert client.head("/api/apoint/province/").status_code == 200
