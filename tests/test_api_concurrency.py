"""Races on one openid or one code, each request on its own connection.

These run against the configured database: the SQLite file by default, or
PostgreSQL when DATABASE_URL points at one.
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from apoint.models import Order, StaffMember
from tests.api_helpers import last_code, order_fields

THREADS = 20

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_together(request: Callable[[int], Any]) -> list[Any]:
    """Call `request(i)` from THREADS threads released at the same moment."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = request(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def post_outcome(path: str, data: dict[str, str]) -> tuple[int, int | None]:
    response = Client().post(path, data)
    ret = response.json().get("ret") if response.status_code == 200 else None
    return response.status_code, ret


def test_concurrent_submissions_give_one_order(hospital):
    fields = order_fields(hospital)
    outcomes = run_together(lambda _: post_outcome("/api/apoint/ordersubmit/", fields))
    assert outcomes.count((200, 0)) == 1
    assert outcomes.count((200, 1)) == THREADS - 1
    assert Order.objects.count() == 1


def test_concurrent_code_uses_give_one_binding(db, settings):
    from apoint import codes

    staff = StaffMember.objects.create(name="赵销售", phone="13900000009")
    codes.code_send(phone=staff.phone, client_ip="127.0.0.1")
    code = last_code(settings)

    def bind(index: int) -> tuple[int, int | None]:
        return post_outcome(
            "/api/apoint/staffauth/",
            {
                "openid": f"o_parallel_openid_{index:04d}",
                "name": "赵销售",
                "email": "",
                "phone": staff.phone,
                "vercode": code,
            },
        )

    outcomes = run_together(bind)
    assert outcomes.count((200, 0)) == 1
    assert outcomes.count((200, 3)) == THREADS - 1
    staff.refresh_from_db()
    assert staff.openid is not None
    assert StaffMember.objects.exclude(openid=None).count() == 1
