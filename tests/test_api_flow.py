"""A booking from upload to the salesperson's last memo, through the API."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from apoint import services
from apoint.models import StaffMember
from tests.api_helpers import get, last_code, order_fields, post
from tests.conftest import image_bytes

STAFF_OPENID = "o_MHBjFLOWstaff0000000000001"


def test_booking_flow_end_to_end(client, hospital, settings):
    urls = [
        client.post(
            "/api/apoint/upload/", {"file": SimpleUploadedFile("a.jpg", image_bytes())}
        ).json()["imgurl"]
        for _ in range(2)
    ]
    fields = order_fields(hospital, photo=json.dumps(urls))
    order_id = post(client, "ordersubmit", fields)["id"]

    staff = StaffMember.objects.create(name="孙销售", phone="13900000321")
    assert post(client, "scrfcode", {"phone": "13900000321"})["ret"] == 0
    auth = {
        "openid": STAFF_OPENID,
        "name": "孙销售",
        "email": "sun@example.com",
        "phone": "13900000321",
        "vercode": last_code(settings),
    }
    assert post(client, "staffauth", auth) == {"ret": 0, "msg": "success"}
    services.order_assign(order_id=order_id, salesperson=staff)

    lister = get(client, "mypatien", {"openid": STAFF_OPENID})["lister"]
    assert [row["id"] for row in lister] == [order_id]
    query = {"id": order_id, "openid": STAFF_OPENID}
    detail = get(client, "patientsdetail", query)["data"]
    assert detail["photo"] == urls

    memo = {"id": order_id, "openid": STAFF_OPENID, "describe": "已约", "types": "6"}
    assert post(client, "thememo", memo)["ret"] == 0
    assert post(client, "ordersubmit", order_fields(hospital))["ret"] == 1
    assert post(client, "thememo", {**memo, "types": "12"})["ret"] == 0
    assert post(client, "ordersubmit", order_fields(hospital))["ret"] == 0
