"""Each endpoint's query count stays the same as its data grows.

The counts are exact, so a change that adds a query per row (or any query)
fails here and names the endpoint that moved.
"""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apoint.models import Order, OrderEvent, OrderPhoto, Remark
from apoint.statuses import OrderStatus
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID, make_order

# Queries per request with a trusted client openid and no session cookie:
# the staff lookup, then the endpoint's own reads (and writes).
MYPATIEN_QUERIES = 2  # staff, rows
PATSEARCH_QUERIES = 2  # staff, rows
# staff, order (with the access check), photos, remarks, history, access record
PATIENTSDETAIL_QUERIES = 6
MYORDER_QUERIES = 1
# province, hospital, open-order check, then inside a savepoint (2 queries):
# insert, lock the photos, attach them in one UPDATE, the history row, and
# the notification rows for the family (a lookup and one insert)
ORDERSUBMIT_QUERIES = 11


def make_orders(hospital, count: int) -> None:
    """Insert `count` claimed orders of the hospital's salesperson in one query."""
    today = timezone.localdate()
    Order.objects.bulk_create(
        Order(
            patient_openid=f"o_budget_patient_{number:06d}",
            name=f"患者{number}",
            birthday=datetime.date(2019, 1, 1),
            sex=Order.Sex.FEMALE,
            phone="13912345678",
            province_id=hospital.province_id,
            hospital=hospital,
            want_date=today + datetime.timedelta(days=number % 30 + 1),
            status=OrderStatus.CLAIMED,
            salesperson=hospital.salesperson,
            next_call_date=today if number % 3 == 0 else None,
        )
        for number in range(count)
    )


def add_history(order, photos: int, events: int, remarks: int) -> None:
    OrderPhoto.objects.bulk_create(
        OrderPhoto(order=order, file=f"photos/budget-{order.pk}-{n}.jpg", position=n)
        for n in range(photos)
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order=order,
            kind=OrderEvent.Kind.STATUS,
            from_status=OrderStatus.CLAIMED,
            to_status=OrderStatus.POSTPONED,
        )
        for _ in range(events)
    )
    Remark.objects.bulk_create(
        Remark(order=order, author_name="张客服", text=f"备注{n}")
        for n in range(remarks)
    )


def count_queries(client, path: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    body = response.json()
    assert response.status_code == 200
    assert body["ret"] == 0, body
    return len(queries), body


@pytest.mark.parametrize("patients", [1, 500])
def test_mypatien_queries_constant(client, hospital, patients):
    make_orders(hospital, patients)
    queries, body = count_queries(
        client, f"/api/apoint/mypatien/?openid={SALESPERSON_OPENID}"
    )
    assert len(body["lister"]) == patients
    assert queries == MYPATIEN_QUERIES


@pytest.mark.parametrize("patients", [1, 500])
def test_patsearch_queries_constant(client, hospital, patients):
    make_orders(hospital, patients)
    queries, body = count_queries(
        client, f"/api/apoint/patsearch/?openid={SALESPERSON_OPENID}&name=患者"
    )
    assert len(body["lister"]) == patients
    assert queries == PATSEARCH_QUERIES


@pytest.mark.parametrize(("photos", "events", "remarks"), [(0, 0, 0), (5, 20, 10)])
def test_patientsdetail_queries_constant(client, order, photos, events, remarks):
    add_history(order, photos, events, remarks)
    queries, body = count_queries(
        client,
        f"/api/apoint/patientsdetail/?id={order.pk}&openid={SALESPERSON_OPENID}",
    )
    assert len(body["data"]["photo"]) == photos
    assert len(body["data"]["history"]) == events
    assert len(body["data"]["customer"]) == remarks
    assert queries == PATIENTSDETAIL_QUERIES


@pytest.mark.parametrize("earlier_orders", [0, 20])
def test_myorder_queries_constant(client, hospital, earlier_orders):
    for number in range(earlier_orders):
        make_order(hospital, status=OrderStatus.PAUSED, name=f"旧单{number}")
    make_order(hospital)
    queries, body = count_queries(
        client, f"/api/apoint/myorder/?openid={PATIENT_OPENID}"
    )
    assert body["data"]["name"] == "这是新患者"
    assert queries == MYORDER_QUERIES


@pytest.mark.parametrize("hospitals", [1, 30])
def test_catalog_queries_zero_when_prepared(client, hospital, hospitals):
    for number in range(hospitals - 1):
        hospital.pk = None
        hospital.name = f"分院{number}"
        hospital.save()
    client.get("/api/apoint/hospital/")  # builds the prepared bodies
    for path in ("/api/apoint/province/", "/api/apoint/hospital/"):
        queries, body = count_queries(client, path)
        # At most the check of the lists' version, made once a second.
        assert queries <= 1, path
    assert len(body["lister"]) == hospitals


@pytest.mark.parametrize("photos", [1, 9])
def test_ordersubmit_queries_constant(client, hospital, photos):
    names = [f"photos/budget-submit-{n}.jpg" for n in range(photos)]
    OrderPhoto.objects.bulk_create(OrderPhoto(file=name) for name in names)
    urls = [f"http://testserver/media/{name}" for name in names]
    form = {
        "name": "这是新患者",
        "openid": PATIENT_OPENID,
        "birthday": "2017-08-20",
        "sex": "男",
        "phone": "16253478956",
        "area": str(hospital.province_id),
        "wantTime": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "hospital": str(hospital.pk),
        "description": "额头红色斑块",
        "photo": json.dumps(urls),
    }
    with CaptureQueriesContext(connection) as queries:
        body = client.post("/api/apoint/ordersubmit/", form).json()
    assert body["ret"] == 0, body
    assert OrderPhoto.objects.filter(order_id=body["id"]).count() == photos
    assert len(queries) == ORDERSUBMIT_QUERIES
