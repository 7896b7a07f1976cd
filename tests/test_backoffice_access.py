"""Who may open what in the back office."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from apoint.models import AccessRecord, Order
from apoint.statuses import OrderStatus
from tests.backoffice_fixtures import PASSWORD
from tests.conftest import make_order


def owned_order(hospital, owner, status=OrderStatus.CLAIMED, **kwargs) -> Order:
    order = make_order(hospital, status=status, **kwargs)
    Order.objects.filter(pk=order.pk).update(owner=owner)
    order.refresh_from_db()
    return order


def test_anonymous_redirected_to_login(client, order):
    response = client.get(f"/backoffice/orders/{order.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login/")


def test_user_without_group_refused(db, order):
    user = User.objects.create_user(username="outsider")
    client = Client()
    client.force_login(user)
    assert client.get("/backoffice/").status_code == 403
    assert client.get(f"/backoffice/orders/{order.pk}/").status_code == 403


def test_login_page_signs_in(agent_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    agent_user.set_password(PASSWORD)
    agent_user.save(update_fields=["password"])
    client = Client()
    response = client.post(
        "/backoffice/login/", {"username": "zhang", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/backoffice/").status_code == 200


def test_agent_opens_own_order(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    response = agent_client.get(f"/backoffice/orders/{order.pk}/")
    assert response.status_code == 200
    assert order.phone in response.content.decode()


def test_agent_opens_unclaimed_order(agent_client, hospital):
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)
    assert agent_client.get(f"/backoffice/orders/{order.pk}/").status_code == 200


def test_agent_cannot_open_other_agents_order(agent_client, other_agent, hospital):
    order = owned_order(hospital, other_agent)
    response = agent_client.get(f"/backoffice/orders/{order.pk}/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    assert order.phone not in response.content.decode()
    assert not AccessRecord.objects.filter(order_id=order.pk).exists()


def test_agent_cannot_act_on_other_agents_order(agent_client, other_agent, hospital):
    order = owned_order(hospital, other_agent)
    response = agent_client.post(
        f"/backoffice/orders/{order.pk}/move/",
        {"status": OrderStatus.CONFIRMED.value},
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED


def test_agent_list_hides_other_agents_orders(
    agent_client, agent, other_agent, hospital
):
    mine = owned_order(hospital, agent, openid="o_mine")
    theirs = owned_order(hospital, other_agent, openid="o_theirs")
    unclaimed = make_order(hospital, status=OrderStatus.UNCLAIMED, openid="o_new")
    body = agent_client.get("/backoffice/orders/").content.decode()
    assert f"#{mine.pk}<" in body
    assert f"#{unclaimed.pk}<" in body
    assert f"#{theirs.pk}<" not in body


def test_agent_cannot_reassign(agent_client, agent, other_agent, hospital):
    order = owned_order(hospital, agent)
    response = agent_client.post(
        f"/backoffice/orders/{order.pk}/reassign/", {"owner": other_agent.pk}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.owner_id == agent.pk


@pytest.mark.parametrize(
    "path", ["/backoffice/reports/", "/backoffice/access-records/"]
)
def test_agent_cannot_open_admin_pages(agent_client, path):
    assert agent_client.get(path).status_code == 403


def test_admin_opens_any_order(admin_client, other_agent, hospital):
    order = owned_order(hospital, other_agent)
    assert admin_client.get(f"/backoffice/orders/{order.pk}/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/backoffice/reports/", "/backoffice/access-records/"]
)
def test_admin_opens_admin_pages(admin_client, path):
    assert admin_client.get(path).status_code == 200


def test_unknown_order_is_404(admin_client, db):
    assert admin_client.get("/backoffice/orders/999999/").status_code == 404


def test_admin_group_may_manage_hospitals_and_staff(admin_user):
    assert admin_user.has_perm("apoint.change_hospital")
    assert admin_user.has_perm("apoint.add_staffmember")
    assert admin_user.has_perm("apoint.view_accessrecord")


def test_agent_group_has_only_work_permission(agent_user):
    assert agent_user.has_perm("backoffice.work_orders")
    assert not agent_user.has_perm("backoffice.manage_orders")
    assert not agent_user.has_perm("apoint.change_hospital")


def test_list_masks_phone_numbers(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    body = agent_client.get("/backoffice/orders/").content.decode()
    assert order.phone not in body
    assert "162****8956" in body
