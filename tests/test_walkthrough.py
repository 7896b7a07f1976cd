"""The whole booking path, from a family's submission to a closing memo.

Each step uses the interface its user has: the API for the family and the
salesperson, management commands for the operator.
"""

import datetime
import io
import json
import re
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image

from apoint.models import Hospital, Order, OrderEvent, StaffMember
from apoint.statuses import OrderStatus
from tests.conftest import image_bytes

FAMILY_OPENID = "o_walkthroughFamily000000001"
SALES_OPENID = "o_walkthroughSales0000000001"
SALES_PHONE = "13912340001"


def api(client: Client, method: str, path: str, data: dict) -> dict:
    response = getattr(client, method)(f"/api/apoint/{path}/", data)
    assert response.status_code == 200, response.content
    return response.json()


def command(name: str, *args: object) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def submission(hospital: Hospital, photos: list[str], want_date: str) -> dict:
    return {
        "name": "这是新患者",
        "openid": FAMILY_OPENID,
        "birthday": "2017-08-20",
        "sex": "男",
        "phone": "16253478956",
        "area": str(hospital.province_id),
        "wantTime": want_date,
        "hospital": str(hospital.pk),
        "description": "这个天使之吻只有一毫米，但我就是不想要",
        "photo": json.dumps(photos),
    }


def read_code(phone: str) -> str:
    folder = Path(settings.SMS_FILE_PATH)
    messages = [path.read_text() for path in folder.glob(f"*-{phone}-*.txt")]
    assert len(messages) == 1, messages
    assert f"phone: {phone}" in messages[0]
    match = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", messages[0])
    assert match is not None, messages[0]
    return match.group(1)


def test_booking_walkthrough(db, tmp_path):
    want_date = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    client = Client()

    # The operator imports the roster and a hospital from CSV files.
    staff_csv = tmp_path / "staff.csv"
    staff_csv.write_text(
        f"\ufeffname,phone,email,role\n周销售,{SALES_PHONE},,销售\n", encoding="utf-8"
    )
    assert "1 added" in command("import_staff", staff_csv)
    hospitals_csv = tmp_path / "hospitals.csv"
    hospitals_csv.write_text(
        "name,province,address,salesperson_phone\n上海胎记医院,上海市,黄浦区,\n",
        encoding="utf-8",
    )
    assert "1 added" in command("import_hospitals", hospitals_csv)
    hospital = Hospital.objects.get(name="上海胎记医院")

    # The family uploads two photos and submits the order.
    urls = []
    for number, fmt in enumerate(["JPEG", "PNG"]):
        upload = SimpleUploadedFile(f"photo{number}", image_bytes(fmt))
        body = client.post("/api/apoint/upload/", {"file": upload}).json()
        assert body["result"] == 0, body
        urls.append(body["imgurl"])
    data = submission(hospital, urls, want_date)
    body = api(client, "post", "ordersubmit", data)
    assert body["ret"] == 0, body
    order_id = body["id"]

    # The salesperson gets a code through the file backend and binds.
    body = api(client, "post", "scrfcode", {"phone": SALES_PHONE})
    assert body["ret"] == 0, body
    body = api(
        client,
        "post",
        "staffauth",
        {
            "openid": SALES_OPENID,
            "name": "周销售",
            "email": "zhou@example.com",
            "phone": SALES_PHONE,
            "vercode": read_code(SALES_PHONE),
        },
    )
    assert body["ret"] == 0, body
    salesperson = StaffMember.objects.get(phone=SALES_PHONE)
    assert salesperson.openid == SALES_OPENID

    # Before the assignment the salesperson has no patients.
    body = api(client, "get", "mypatien", {"openid": SALES_OPENID})
    assert body["lister"] == []

    # The operator assigns the order, and the unclaimed order becomes claimed.
    assert f"Order {order_id} assigned" in command(
        "assign_order", str(order_id), SALES_PHONE
    )

    body = api(client, "get", "mypatien", {"openid": SALES_OPENID})
    assert [row["id"] for row in body["lister"]] == [order_id]
    assert body["lister"][0]["wantTime"] == want_date

    body = api(
        client, "get", "patientsdetail", {"id": order_id, "openid": SALES_OPENID}
    )
    assert body["ret"] == 0, body
    assert body["data"]["id"] == str(order_id)
    assert body["data"]["photo"] == urls
    for url in urls:
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200
        image = Image.open(io.BytesIO(response.getvalue()))
        assert image.size == (64, 48)

    # Memo 6 keeps the order open: the family still cannot book again.
    memo = {"id": order_id, "openid": SALES_OPENID, "describe": "已安排周六治疗"}
    body = api(client, "post", "thememo", memo | {"types": "6"})
    assert body["ret"] == 0, body
    again = submission(hospital, [], want_date)
    body = api(client, "post", "ordersubmit", again)
    assert body["ret"] == 1
    assert body["msg"] == "已有预约正在进行中"

    # Memo 12 closes it: now they can.
    body = api(client, "post", "thememo", memo | {"types": "12"})
    assert body["ret"] == 0, body
    body = api(client, "post", "ordersubmit", again)
    assert body["ret"] == 0, body

    order = Order.objects.get(pk=order_id)
    assert order.status == OrderStatus.PAUSED
    assert list(order.events.values_list("kind", "to_status")) == [
        (OrderEvent.Kind.SUBMITTED, OrderStatus.UNCLAIMED),
        (OrderEvent.Kind.ASSIGNED, OrderStatus.CLAIMED),
        (OrderEvent.Kind.STATUS, OrderStatus.TREATMENT_ARRANGED),
        (OrderEvent.Kind.STATUS, OrderStatus.PAUSED),
    ]
