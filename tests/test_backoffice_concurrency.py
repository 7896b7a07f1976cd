"""Two agents racing for one order, on the real database's locking."""

import threading

import pytest
from django.db import connection

from apoint.errors import ApiError, Ret
from apoint.models import OrderEvent, StaffMember
from apoint.statuses import OrderStatus
from backoffice.services import order_claim
from tests.conftest import make_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_claims_one_wins(migration_data, hospital, agent):
    rival = StaffMember.objects.create(
        name="赵客服", phone="13800000004", role=StaffMember.Role.CUSTOMER_SERVICE
    )
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)
    barrier = threading.Barrier(2)
    won: list[int] = []
    lost: list[Ret] = []

    def claim(staff: StaffMember) -> None:
        barrier.wait()
        try:
            order_claim(order_id=order.pk, staff=staff, user=None)
            won.append(staff.pk)
        except ApiError as error:
            lost.append(error.ret)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, args=(staff,)) for staff in (agent, rival)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(won) == 1
    assert lost == [Ret.CONFLICT]
    order.refresh_from_db()
    assert order.owner_id == won[0]
    assert OrderEvent.objects.filter(order=order).count() == 1
