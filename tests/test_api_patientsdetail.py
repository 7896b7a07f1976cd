import io
import json
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apoint import services
from apoint.models import AccessRecord, Order, Remark
from apoint.statuses import OrderStatus
from tests.api_helpers import get, order_fields, post
from tests.conftest import (
    OTHER_SALESPERSON_OPENID,
    PATIENT_OPENID,
    SALESPERSON_OPENID,
    image_bytes,
    make_order,
)


def detail(client, order_id, openid=SALESPERSON_OPENID):
    return get(client, "patientsdetail", {"id": str(order_id), "openid": openid})


def test_detail_returns_example_data(client, order, agent):
    Remark.objects.create(order=order, author=agent, author_name="张客服", text="可治")
    body = detail(client, order.pk)
    assert body["ret"] == 0
    assert body["msg"] == "success"
    data = body["data"]
    assert data["wanthospital"] == "上海医院"
    assert data["phone"] == "16253478956"
    assert data["birthday"] == "2017-08-20"
    assert data["name"] == "这是新患者"
    assert data["area"] == "上海"
    assert data["photo"] == []
    assert data["description"] == "这个天使之吻只有一毫米，但我就是不想要"
    assert data["wantTime"] == order.want_date.isoformat()
    assert data["sex"] == "男"
    assert data["id"] == str(order.pk)
    (remark,) = data["customer"]
    assert remark["remark"] == "可治"
    assert remark["name"] == "张客服"
    assert len(remark["time"]) == len("2018-01-30 11:39")


def test_detail_remarks_oldest_first(client, order):
    for text in ["第一条", "第二条", "第三条"]:
        Remark.objects.create(order=order, author_name="张客服", text=text)
    remarks = detail(client, order.pk)["data"]["customer"]
    assert [item["remark"] for item in remarks] == ["第一条", "第二条", "第三条"]


def test_detail_photos_are_served(client, hospital, salesperson):
    urls = []
    for fmt in ("JPEG", "PNG"):
        upload = SimpleUploadedFile("a.jpg", image_bytes(fmt))
        urls.append(client.post("/api/apoint/upload/", {"f": upload}).json()["imgurl"])
    fields = order_fields(hospital, photo=json.dumps(urls))
    order_id = post(client, "ordersubmit", fields)["id"]
    services.order_claim(order_id=order_id, owner=salesperson)
    photos = detail(client, order_id)["data"]["photo"]
    assert photos == urls
    for url in photos:
        response = client.get(urlsplit(url).path)
        Image.open(io.BytesIO(b"".join(response.streaming_content))).verify()


def test_detail_other_salesperson_refused(client, order, other_salesperson):
    body = detail(client, order.pk, OTHER_SALESPERSON_OPENID)
    assert body == {"ret": 5, "msg": "未认证或无权限"}
    assert AccessRecord.objects.count() == 0


def test_detail_unclaimed_order_refused(client, hospital):
    unclaimed = make_order(hospital, status=OrderStatus.UNCLAIMED)
    assert detail(client, unclaimed.pk)["ret"] == 5


def test_detail_unknown_order_not_found(client, salesperson):
    assert detail(client, 999) == {"ret": 6, "msg": "预约单不存在"}


def test_detail_unbound_openid_refused(client, order):
    assert detail(client, order.pk, "o_unknown_openid_000001")["ret"] == 5


def test_detail_patient_openid_refused(client, order):
    assert detail(client, order.pk, PATIENT_OPENID)["ret"] == 5


def test_detail_missing_openid_refused(client, order):
    assert detail(client, order.pk, "")["ret"] == 5


def test_detail_malformed_id_rejected(client, order):
    assert detail(client, "abc") == {"ret": 2, "msg": "id 必须是正整数"}


def test_detail_records_access(client, order, salesperson):
    detail(client, order.pk)
    record = AccessRecord.objects.get()
    assert record.order_id == order.pk
    assert record.staff_id == salesperson.pk
    assert record.channel == AccessRecord.Channel.API


def test_detail_follows_reassignment(client, order, other_salesperson):
    services.order_assign(order_id=order.pk, salesperson=other_salesperson)
    assert detail(client, order.pk)["ret"] == 5
    body = detail(client, order.pk, OTHER_SALESPERSON_OPENID)
    assert body["ret"] == 0
    assert [item["kind"] for item in body["data"]["history"]] == ["assigned"]


def test_detail_query_count_constant(client, order, django_assert_num_queries):
    for text in ["一", "二", "三"]:
        Remark.objects.create(order=order, author_name="张客服", text=text)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CONFIRMED)
    with django_assert_num_queries(6):
        assert detail(client, order.pk)["ret"] == 0
