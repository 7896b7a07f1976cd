"""Races on PostgreSQL: each thread has its own database connection.

The threads start together on a barrier, so their requests overlap in the
server; the database constraints and row locks decide the outcome.
"""

import datetime
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from apoint.codes import _hash
from apoint.models import Memo, Order, OrderEvent, StaffMember, VerificationCode
from apoint.statuses import OrderStatus
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID, make_order

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("provinces"),
]

THREADS = 20
ROSTER_PHONE = "13912345678"


def run_parallel(count: int, request: Callable[[int], Any]) -> list[Any]:
    """Run `request(i)` in `count` threads at once; return the results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = request(index)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def order_form(hospital) -> dict[str, str]:
    want = timezone.localdate() + datetime.timedelta(days=7)
    return {
        "name": "这是新患者",
        "openid": PATIENT_OPENID,
        "birthday": "2017-08-20",
        "sex": "男",
        "phone": "16253478956",
        "area": str(hospital.province_id),
        "wantTime": want.isoformat(),
        "hospital": str(hospital.pk),
        "description": "天使之吻",
        "photo": "[]",
    }


def test_parallel_submissions_one_order(hospital):
    form = order_form(hospital)

    def submit(index: int) -> int:
        return Client().post("/api/apoint/ordersubmit/", form).json()["ret"]

    rets = Counter(run_parallel(THREADS, submit))
    assert rets == {0: 1, 1: THREADS - 1}
    assert Order.objects.filter(patient_openid=PATIENT_OPENID).count() == 1
    assert OrderEvent.objects.count() == 1


@pytest.fixture
def roster_code() -> str:
    StaffMember.objects.create(
        name="赵销售", phone=ROSTER_PHONE, role=StaffMember.Role.SALESPERSON
    )
    now = timezone.now()
    VerificationCode.objects.create(
        phone=ROSTER_PHONE,
        code_hash=_hash(ROSTER_PHONE, "246810"),
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=5),
    )
    return "246810"


def staffauth(openid: str, code: str) -> dict[str, Any]:
    return (
        Client()
        .post(
            "/api/apoint/staffauth/",
            {
                "openid": openid,
                "name": "赵销售",
                "email": "",
                "phone": ROSTER_PHONE,
                "vercode": code,
            },
        )
        .json()
    )


def test_parallel_code_uses_one_binding(roster_code):
    openids = [f"o_RACE{index:02d}{'x' * 20}" for index in range(THREADS)]
    results = run_parallel(
        THREADS, lambda index: staffauth(openids[index], roster_code)
    )
    winners = [openids[i] for i, body in enumerate(results) if body["ret"] == 0]
    assert len(winners) == 1, results
    assert {body["ret"] for body in results} <= {0, 1, 3}
    staff = StaffMember.objects.get(phone=ROSTER_PHONE)
    assert staff.openid == winners[0]
    assert VerificationCode.objects.get().used_at is not None


def test_parallel_wrong_codes_capped(roster_code):
    results = run_parallel(
        THREADS, lambda index: staffauth(f"o_GUESS{index:02d}{'y' * 19}", "135790")
    )
    assert [body["ret"] for body in results] == [3] * THREADS
    assert VerificationCode.objects.get().failed_attempts == 5
    # The right code is void once five tries failed.
    assert staffauth("o_LATE" + "z" * 22, roster_code)["ret"] == 3


def test_parallel_memos_serialised(hospital, salesperson):
    order = make_order(hospital)
    types = [OrderStatus.TREATMENT_ARRANGED, OrderStatus.TREATMENT_POSTPONED]
    count = 10

    def memo(index: int) -> int:
        body = (
            Client()
            .post(
                "/api/apoint/thememo/",
                {
                    "id": str(order.pk),
                    "openid": SALESPERSON_OPENID,
                    "describe": f"第{index}次随访",
                    "types": str(types[index % 2].value),
                },
            )
            .json()
        )
        return body["ret"]

    assert run_parallel(count, memo) == [0] * count
    assert Memo.objects.filter(order=order).count() == count
    events = list(
        OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS).order_by(
            "created_at", "id"
        )
    )
    assert len(events) == count
    # Row locks serialise the memos: each one starts from the last one's status.
    previous = OrderStatus.CLAIMED
    for event in events:
        assert event.from_status == previous
        previous = event.to_status
    order.refresh_from_db()
    assert order.status == previous


def test_partial_unique_index_exists():
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["one_open_order_per_patient"],
        )
        [(definition,)] = cursor.fetchall()
    assert "UNIQUE" in definition
    assert "WHERE" in definition


@pytest.mark.redis
@pytest.mark.parametrize("counter_store", ["redis", "database"])
def test_parallel_sends_one_sms(settings, counter_store):
    if counter_store == "database":
        settings.REDIS_URL = ""
    StaffMember.objects.create(
        name="赵销售", phone=ROSTER_PHONE, role=StaffMember.Role.SALESPERSON
    )

    def send(index: int) -> int:
        response = Client().post("/api/apoint/scrfcode/", {"phone": ROSTER_PHONE})
        return response.json()["ret"]

    rets = Counter(run_parallel(THREADS, send))
    assert rets == {0: 1, 4: THREADS - 1}
    assert len(list(Path(settings.SMS_FILE_PATH).iterdir())) == 1
