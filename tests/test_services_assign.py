import pytest

from apoint import services
from apoint.errors import ApiError, Ret
from apoint.models import StaffMember
from apoint.statuses import OrderStatus
from tests.conftest import make_order


def test_assign_rejects_customer_service(hospital, agent):
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)
    with pytest.raises(ApiError) as raised:
        services.order_assign(order_id=order.pk, salesperson=agent)
    assert raised.value.ret == Ret.INVALID
    order.refresh_from_db()
    assert order.status == OrderStatus.UNCLAIMED
    assert not order.events.exists()


def test_assign_rejects_inactive_salesperson(hospital, other_salesperson):
    StaffMember.objects.filter(pk=other_salesperson.pk).update(is_active=False)
    other_salesperson.refresh_from_db()
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)
    with pytest.raises(ApiError) as raised:
        services.order_assign(order_id=order.pk, salesperson=other_salesperson)
    assert raised.value.ret == Ret.INVALID
    order.refresh_from_db()
    assert order.salesperson_id == hospital.salesperson_id
