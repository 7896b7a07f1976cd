from apoint.models import Hospital, Province
from tests.api_helpers import get


def test_province_lists_all_divisions(client, db):
    body = get(client, "province", {})
    assert body["ret"] == 0
    assert body["msg"] == "success"
    assert len(body["lister"]) == 34
    shanghai = Province.objects.get(name="上海")
    assert {"id": shanghai.pk, "area": "上海"} in body["lister"]


def test_province_body_unescaped_utf8(client, db):
    response = client.get("/api/apoint/province/")
    assert response["Content-Type"] == "application/json"
    assert "上海".encode() in response.content


def test_hospital_lists_active_hospitals(client, hospital, beijing_hospital):
    Hospital.objects.create(
        name="停用医院", province=hospital.province, is_active=False
    )
    body = get(client, "hospital", {})
    assert body["ret"] == 0
    assert body["lister"] == [
        {"id": beijing_hospital.pk, "hospits": "北京医院"},
        {"id": hospital.pk, "hospits": "上海医院"},
    ]


def test_hospital_filters_by_province(client, hospital, beijing_hospital):
    body = get(client, "hospital", {"area": str(hospital.province_id)})
    assert body["lister"] == [{"id": hospital.pk, "hospits": "上海医院"}]


def test_hospital_unknown_province_not_found(client, hospital):
    assert get(client, "hospital", {"area": "999"}) == {"ret": 6, "msg": "省份不存在"}


def test_hospital_malformed_province_rejected(client, hospital):
    assert get(client, "hospital", {"area": "x"}) == {
        "ret": 2,
        "msg": "area 必须是正整数",
    }


def test_hospital_list_sees_new_hospital(
    client, hospital, django_capture_on_commit_callbacks
):
    get(client, "hospital", {})
    with django_capture_on_commit_callbacks(execute=True):
        added = Hospital.objects.create(name="新医院", province=hospital.province)
    body = get(client, "hospital", {})
    assert {"id": added.pk, "hospits": "新医院"} in body["lister"]
