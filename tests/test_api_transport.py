import json

from apoint.models import Order
from tests.api_helpers import API, order_fields


def test_submit_json_body_accepted(client, hospital):
    response = client.post(
        f"{API}/ordersubmit/",
        json.dumps(order_fields(hospital)),
        content_type="application/json",
    )
    assert response.json()["ret"] == 0
    assert Order.objects.get().name == "这是新患者"


def test_submit_json_numbers_and_list_accepted(client, hospital):
    fields = {
        **order_fields(hospital),
        "area": hospital.province_id,
        "hospital": hospital.pk,
        "photo": [],
    }
    response = client.post(
        f"{API}/ordersubmit/", json.dumps(fields), content_type="application/json"
    )
    assert response.json()["ret"] == 0


def test_submit_urlencoded_body_accepted(client, hospital):
    from urllib.parse import urlencode

    response = client.post(
        f"{API}/ordersubmit/",
        urlencode(order_fields(hospital)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json()["ret"] == 0


def test_submit_multipart_body_accepted(client, hospital):
    response = client.post(f"{API}/ordersubmit/", order_fields(hospital))
    assert response.json()["ret"] == 0


def test_malformed_json_body_rejected(client, db):
    response = client.post(
        f"{API}/ordersubmit/", "{not json", content_type="application/json"
    )
    assert response.json() == {"ret": 2, "msg": "请求体不是有效的 JSON"}


def test_json_array_body_rejected(client, db):
    response = client.post(f"{API}/ordersubmit/", "[]", content_type="application/json")
    assert response.json() == {"ret": 2, "msg": "请求体必须是 JSON 对象"}


def test_wrong_method_is_json_405(client, db):
    response = client.put(f"{API}/province/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET, HEAD"
    assert response.json() == {"ret": 2, "msg": "请求方法不允许，请使用 GET, HEAD"}


def test_unknown_api_path_is_json_404(client, db):
    response = client.get(f"{API}/nosuch/")
    assert response.status_code == 404
    assert response.json() == {"ret": 6, "msg": "接口不存在"}


def test_path_outside_app_is_json_404(client, db):
    response = client.get("/api/other/")
    assert response.status_code == 404
    assert response.json()["ret"] == 6


def test_missing_trailing_slash_is_json_404(client, db):
    response = client.get(f"{API}/province")
    assert response.status_code == 404
    assert response.json()["ret"] == 6


def test_oversized_body_is_json_413(client, db):
    response = client.post(
        f"{API}/ordersubmit/",
        "x" * (11 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.json()["ret"] == 2


def test_openapi_document_lists_endpoints(client, db):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for endpoint in ["scrfcode", "staffauth", "mypatien", "ordersubmit", "upload"]:
        assert f"{API}/{endpoint}/" in paths


def test_cache_down_is_json_503(client, db, settings):
    from apoint import ratelimit

    # Port 18199 is assumed free, so every Redis call is refused.
    settings.REDIS_URL = "redis://127.0.0.1:18199/1"
    ratelimit._redis = None
    try:
        response = client.post(f"{API}/scrfcode/", {"phone": "13900000001"})
    finally:
        ratelimit._redis = None
    assert response.status_code == 503
    assert response.json() == {"ret": 7, "msg": "验证码服务暂时不可用，请稍后再试"}


def test_scrfcode_json_body_accepted(client, db):
    response = client.post(
        f"{API}/scrfcode/",
        json.dumps({"phone": "13900000001"}),
        content_type="application/json",
    )
    assert response.json() == {"ret": 0, "msg": "success"}


def test_multipart_without_boundary_rejected(client, db):
    response = client.post(
        f"{API}/upload/", b"garbage", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.json() == {"ret": 2, "msg": "multipart 请求体格式不正确"}


def test_submit_multipart_without_boundary_rejected(client, db):
    response = client.post(
        f"{API}/ordersubmit/", b"garbage", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.json()["ret"] == 2
