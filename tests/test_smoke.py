from apoint.models import Order
from tests.conftest import PATIENT_OPENID


def test_province_list_has_34_divisions(client):
    body = client.get("/api/apoint/province/").json()
    assert body["ret"] == 0
    assert len(body["lister"]) == 34


def test_submit_order_minimal(client, hospital):
    response = client.post(
        "/api/apoint/ordersubmit/",
        {
            "name": "这是新患者",
            "openid": PATIENT_OPENID,
            "birthday": "2017-08-20",
            "sex": "男",
            "phone": "16253478956",
            "area": str(hospital.province_id),
            "wantTime": "2099-01-01",
            "hospital": str(hospital.pk),
            "description": "这个天使之吻只有一毫米，但我就是不想要",
            "photo": "[]",
        },
    )
    body = response.json()
    assert body["ret"] == 2, body  # more than a year ahead
    assert Order.objects.count() == 0
