import datetime
import json

import pytest
from django.utils import timezone

from apoint.models import Hospital, Order, OrderEvent, OrderPhoto
from apoint.statuses import OrderStatus
from tests.api_helpers import (
    EXAMPLE_DESCRIPTION,
    EXAMPLE_NAME,
    EXAMPLE_PHONE,
    get,
    order_fields,
    post,
    wanted_date,
)
from tests.conftest import PATIENT_OPENID, image_bytes, make_order


def upload_url(client, fmt="JPEG") -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.jpg", image_bytes(fmt))
    body = client.post("/api/apoint/upload/", {"file": upload}).json()
    assert body["result"] == 0, body
    return body["imgurl"]


def test_submit_example_order_succeeds(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital))
    order = Order.objects.get()
    assert body == {"ret": 0, "msg": "success", "id": order.pk}
    assert order.name == EXAMPLE_NAME
    assert order.phone == EXAMPLE_PHONE
    assert order.description == EXAMPLE_DESCRIPTION
    assert order.birthday == datetime.date(2017, 8, 20)
    assert order.sex == Order.Sex.MALE
    assert order.status == OrderStatus.UNCLAIMED
    assert order.patient_openid == PATIENT_OPENID


def test_submit_records_history_row(client, hospital):
    post(client, "ordersubmit", order_fields(hospital))
    event = OrderEvent.objects.get()
    assert event.kind == OrderEvent.Kind.SUBMITTED
    assert event.from_status is None
    assert event.to_status == OrderStatus.UNCLAIMED


def test_submit_with_open_order_conflicts(client, hospital):
    make_order(hospital, status=OrderStatus.TREATMENT_ARRANGED)
    body = post(client, "ordersubmit", order_fields(hospital))
    assert body == {"ret": 1, "msg": "已有预约正在进行中"}
    assert Order.objects.count() == 1


def test_submit_after_closed_order_succeeds(client, hospital):
    make_order(hospital, status=OrderStatus.PAUSED)
    body = post(client, "ordersubmit", order_fields(hospital))
    assert body["ret"] == 0
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    "sent",
    [
        "+8616253478956",
        "+86 162 5347 8956",
        "8616253478956",
        "162-5347-8956",
        "162 5347 8956",
        "１６２５３４７８９５６",
        "＋８６１６２５３４７８９５６",
    ],
)
def test_submit_normalises_phone(client, hospital, sent):
    body = post(client, "ordersubmit", order_fields(hospital, phone=sent))
    assert body["ret"] == 0, body
    assert Order.objects.get().phone == "16253478956"


@pytest.mark.parametrize(
    "sent",
    [
        "1625347895",
        "162534789561",
        "26253478956",
        "1625347895a",
        "abcdefghijk",
        "1625347895٣",
        "",
    ],
)
def test_submit_rejects_bad_phone(client, hospital, sent):
    body = post(client, "ordersubmit", order_fields(hospital, phone=sent))
    assert body["ret"] == 2
    assert body["msg"].startswith("phone ")
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birthday", "2019-02-30"),
        ("birthday", "2017/08/20"),
        ("birthday", "20170820"),
        ("birthday", "2017-8-20"),
        ("birthday", ""),
        ("wantTime", "2024-02-30"),
        ("wantTime", "next week"),
        ("wantTime", ""),
    ],
)
def test_submit_rejects_malformed_dates(client, hospital, field, value):
    body = post(client, "ordersubmit", order_fields(hospital, **{field: value}))
    assert body["ret"] == 2
    assert body["msg"].startswith(f"{field} ")
    assert Order.objects.count() == 0


def test_submit_rejects_future_birthday(client, hospital):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    fields = order_fields(hospital, birthday=tomorrow.isoformat())
    body = post(client, "ordersubmit", fields)
    assert body == {"ret": 2, "msg": "birthday 不能晚于今天"}


def test_submit_accepts_birthday_today(client, hospital):
    fields = order_fields(hospital, birthday=timezone.localdate().isoformat())
    assert post(client, "ordersubmit", fields)["ret"] == 0


def test_submit_rejects_past_wanted_date(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, wantTime=wanted_date(-1)))
    assert body == {"ret": 2, "msg": "wantTime 不能早于今天"}


def test_submit_accepts_wanted_date_today(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, wantTime=wanted_date(0)))
    assert body["ret"] == 0


def test_submit_accepts_wanted_date_year_ahead(client, hospital):
    fields = order_fields(hospital, wantTime=wanted_date(365))
    assert post(client, "ordersubmit", fields)["ret"] == 0


def test_submit_rejects_wanted_date_beyond_year(client, hospital):
    fields = order_fields(hospital, wantTime=wanted_date(366))
    body = post(client, "ordersubmit", fields)
    assert body == {"ret": 2, "msg": "wantTime 不能晚于一年以后"}


@pytest.mark.parametrize("sex", ["", "male", "M", "未知"])
def test_submit_rejects_unknown_sex(client, hospital, sex):
    body = post(client, "ordersubmit", order_fields(hospital, sex=sex))
    assert body["ret"] == 2
    assert body["msg"].startswith("sex ")


def test_submit_accepts_female(client, hospital):
    assert post(client, "ordersubmit", order_fields(hospital, sex="女"))["ret"] == 0
    assert Order.objects.get().sex == Order.Sex.FEMALE


def test_submit_unknown_province_not_found(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, area="999"))
    assert body == {"ret": 6, "msg": "省份不存在"}


def test_submit_unknown_hospital_not_found(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, hospital="999"))
    assert body == {"ret": 6, "msg": "医院不存在"}


def test_submit_inactive_hospital_not_found(client, hospital):
    Hospital.objects.filter(pk=hospital.pk).update(is_active=False)
    body = post(client, "ordersubmit", order_fields(hospital))
    assert body == {"ret": 6, "msg": "医院不存在"}


def test_submit_hospital_outside_province_rejected(client, hospital, beijing):
    body = post(client, "ordersubmit", order_fields(hospital, area=str(beijing.pk)))
    assert body == {"ret": 2, "msg": "hospital 不属于所选省份"}
    assert Order.objects.count() == 0


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5", "٣"])
def test_submit_rejects_malformed_ids(client, hospital, value):
    body = post(client, "ordersubmit", order_fields(hospital, area=value))
    assert body["ret"] == 2
    assert body["msg"].startswith("area ")


def test_submit_requires_openid(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, openid=""))
    assert body == {"ret": 2, "msg": "openid 不能为空"}


def test_submit_empty_name_rejected(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, name="  "))
    assert body == {"ret": 2, "msg": "name 不能为空"}


def test_submit_long_name_rejected(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, name="名" * 33))
    assert body == {"ret": 2, "msg": "name 不能超过32个字"}


def test_submit_name_at_limit_accepted(client, hospital):
    assert (
        post(client, "ordersubmit", order_fields(hospital, name="名" * 32))["ret"] == 0
    )


def test_submit_long_description_rejected(client, hospital):
    fields = order_fields(hospital, description="长" * 1001)
    body = post(client, "ordersubmit", fields)
    assert body == {"ret": 2, "msg": "description 不能超过1000个字"}


def test_submit_empty_description_accepted(client, hospital):
    assert (
        post(client, "ordersubmit", order_fields(hospital, description=""))["ret"] == 0
    )


def test_submit_keeps_four_byte_characters(client, hospital):
    name = "小𠀀😀"
    description = "胎记👶🏻 在𪚥左臂"
    fields = order_fields(hospital, name=name, description=description)
    assert post(client, "ordersubmit", fields)["ret"] == 0
    order = Order.objects.get()
    assert order.name == name
    assert order.description == description
    mine = get(client, "myorder", {"openid": PATIENT_OPENID})
    assert mine["data"]["name"] == name


@pytest.mark.parametrize("field", ["name", "description"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_submit_rejects_control_characters(client, hospital, field, char):
    body = post(client, "ordersubmit", order_fields(hospital, **{field: f"a{char}b"}))
    assert body == {"ret": 2, "msg": f"{field} 含有不允许的控制字符"}
    assert Order.objects.count() == 0


def test_submit_rejects_newline_in_name(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, name="小\n明"))
    assert body == {"ret": 2, "msg": "name 不能包含换行"}


def test_submit_keeps_textarea_line_breaks(client, hospital):
    fields = order_fields(hospital, description="第一行\r\n第二行")
    assert post(client, "ordersubmit", fields)["ret"] == 0
    assert Order.objects.get().description == "第一行\n第二行"


@pytest.mark.parametrize("photo", ["not json", "{}", '"a"', "[", "null"])
def test_submit_photo_not_json_list(client, hospital, photo):
    body = post(client, "ordersubmit", order_fields(hospital, photo=photo))
    assert body == {"ret": 2, "msg": "photo 必须是图片地址的 JSON 列表"}


def test_submit_photo_over_nine_rejected(client, hospital):
    urls = [upload_url(client) for _ in range(10)]
    body = post(client, "ordersubmit", order_fields(hospital, photo=json.dumps(urls)))
    assert body == {"ret": 2, "msg": "photo 最多9张"}
    assert OrderPhoto.objects.filter(order__isnull=False).count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "http://evil.example/media/photos/abc.jpg",
        "http://testserver/static/admin/img/icon.png",
        "http://testserver/media/photos/missing.jpg",
        "http://testserver/media/photos/../secret_key",
        "/media/photos/abc.jpg",
        "",
    ],
)
def test_submit_photo_not_issued_rejected(client, hospital, url):
    photo = json.dumps([url])
    body = post(client, "ordersubmit", order_fields(hospital, photo=photo))
    assert body["ret"] == 2
    assert body["msg"].startswith("photo ")
    assert Order.objects.count() == 0


def test_submit_photo_non_string_rejected(client, hospital):
    body = post(client, "ordersubmit", order_fields(hospital, photo="[1]"))
    assert body["ret"] == 2
    assert body["msg"].startswith("photo ")


def test_submit_attaches_photos_in_order(client, hospital):
    urls = [upload_url(client, "PNG"), upload_url(client, "JPEG")]
    fields = order_fields(hospital, photo=json.dumps(urls))
    assert post(client, "ordersubmit", fields)["ret"] == 0
    order = Order.objects.get()
    names = list(order.photos.order_by("position").values_list("file", flat=True))
    assert [url.split("/media/")[1] for url in urls] == names


def test_submit_photo_of_other_order_rejected(client, hospital):
    url = upload_url(client)
    first = order_fields(
        hospital, openid="o_first_family_0001", photo=json.dumps([url])
    )
    assert post(client, "ordersubmit", first)["ret"] == 0
    second = order_fields(hospital, photo=json.dumps([url]))
    body = post(client, "ordersubmit", second)
    assert body["ret"] == 2
    assert body["msg"].startswith("photo ")
    assert Order.objects.count() == 1


def test_submit_duplicate_photo_rejected(client, hospital):
    url = upload_url(client)
    fields = order_fields(hospital, photo=json.dumps([url, url]))
    body = post(client, "ordersubmit", fields)
    assert body == {"ret": 2, "msg": "photo 包含重复的图片"}
    assert Order.objects.count() == 0
    assert OrderPhoto.objects.get().order_id is None


def test_submit_get_not_allowed(client):
    response = client.get("/api/apoint/ordersubmit/")
    assert response.status_code == 405
    assert response.json()["ret"] == 2
