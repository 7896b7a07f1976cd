import pytest

from apoint import services
from apoint.errors import ApiError, Ret
from apoint.models import Order, StaffMember
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


def test_assigned_order_claimable_afterwards(hospital, other_salesperson, agent):
    from backoffice import selectors as backoffice_selectors

    order = make_order(hospital, status=OrderStatus.UNCLAIMED)
    services.order_assign(order_id=order.pk, salesperson=other_salesperson)
    queue = backoffice_selectors.unclaimed_orders(Order.objects.all())
    assert list(queue.values_list("pk", flat=True)) == [order.pk]

    services.order_claim(order_id=order.pk, owner=agent)
    order.refresh_from_db()
    assert order.owner_id == agent.pk
    assert order.status == OrderStatus.CLAIMED
    assert order.salesperson_id == other_salesperson.pk
    assert not backoffice_selectors.unclaimed_orders(Order.objects.all()).exists()


def test_claim_rejects_owned_order(order, agent):
    Order.objects.filter(pk=order.pk).update(owner=agent)
    with pytest.raises(ApiError) as raised:
        services.order_claim(order_id=order.pk, owner=agent)
    assert raised.value.ret == Ret.CONFLICT
