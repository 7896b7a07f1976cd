import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apoint.models import (
    AccessRecord,
    Memo,
    Order,
    OrderEvent,
    OrderPhoto,
    Remark,
    StaffMember,
)
from apoint.statuses import OrderStatus
from tests.conftest import make_order


@pytest.fixture
def admin_user(db):
    # No password: the tests sign in with force_login, and hashing one with
    # the default PBKDF2 hasher tripled the time of this file.
    return get_user_model().objects.create_superuser("admin", "admin@example.com", None)


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def agent_account(agent, admin_user):
    """Link the superuser's account to the customer-service persona."""
    StaffMember.objects.filter(pk=agent.pk).update(user=admin_user)
    agent.refresh_from_db()
    return agent


def changelist(model: str) -> str:
    return reverse(f"admin:apoint_{model}_changelist")


def change(model: str, pk: int) -> str:
    return reverse(f"admin:apoint_{model}_change", args=[pk])


def listed_ids(response) -> list[int]:
    return sorted(item.pk for item in response.context["cl"].result_list)


# ---- pages render ---------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["province", "hospital", "staffmember", "order", "accessrecord"]
)
def test_list_page_renders(admin_client, order, model):
    response = admin_client.get(changelist(model))

    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.text


def test_change_pages_render(admin_client, order, hospital, salesperson, shanghai):
    for model, pk in [
        ("province", shanghai.pk),
        ("hospital", hospital.pk),
        ("staffmember", salesperson.pk),
        ("order", order.pk),
    ]:
        response = admin_client.get(change(model, pk))
        assert response.status_code == 200, model


def test_add_pages_render(admin_client):
    for model in ["hospital", "staffmember"]:
        response = admin_client.get(reverse(f"admin:apoint_{model}_add"))
        assert response.status_code == 200, model


def test_order_add_page_absent(admin_client):
    response = admin_client.get(reverse("admin:apoint_order_add"))

    assert response.status_code == 403


def test_admin_text_is_chinese(admin_client, order):
    response = admin_client.get(changelist("order"))

    assert "选择 预约单 来修改" in response.text
    assert "认领所选预约单" in response.text


def test_order_times_in_shanghai(admin_client, order):
    utc_time = datetime.datetime(2026, 1, 1, 16, 30, tzinfo=datetime.UTC)
    Order.objects.filter(pk=order.pk).update(submitted_at=utc_time)

    response = admin_client.get(changelist("order"))

    # 16:30 UTC is 00:30 the next day in Asia/Shanghai.
    assert "2026年1月2日 00:30" in response.text


def count_list_page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist("order"))
    assert response.status_code == 200
    return len(queries)


def test_order_list_query_count(admin_client, hospital, beijing_hospital, agent):
    def add_order(number: int) -> None:
        order = make_order(
            [hospital, beijing_hospital][number % 2], openid=f"patient-{number}"
        )
        Order.objects.filter(pk=order.pk).update(owner=agent)
        OrderPhoto.objects.create(order=order, file=f"photos/{number}.jpg")

    add_order(0)
    add_order(1)
    # The first request fills the content-type cache that later ones reuse.
    count_list_page_queries(admin_client)
    two_orders = count_list_page_queries(admin_client)
    for number in range(2, 8):
        add_order(number)

    # Rows, their hospitals, staff and photos load in a fixed number of
    # queries, not one per order.
    assert count_list_page_queries(admin_client) == two_orders


def count_change_page_queries(client: Client, order: Order) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(change("order", order.pk))
    assert response.status_code == 200
    return len(queries)


def test_order_change_page_query_count(admin_client, order, salesperson, agent):
    def add_history_rows() -> None:
        Memo.objects.create(order=order, salesperson=salesperson, status=6)
        OrderEvent.objects.create(
            order=order, kind=OrderEvent.Kind.STATUS, staff=agent, to_status=6
        )
        Remark.objects.create(order=order, author=agent, text="备注")
        OrderPhoto.objects.create(order=order, file=f"photos/{Memo.objects.count()}")

    add_history_rows()
    # The first request fills the content-type cache that later ones reuse.
    count_change_page_queries(admin_client, order)
    one_row_each = count_change_page_queries(admin_client, order)
    for _ in range(4):
        add_history_rows()

    # The inlines load their related rows with the page, not one per row.
    assert count_change_page_queries(admin_client, order) == one_row_each


def test_order_photos_as_thumbnails(admin_client, order):
    OrderPhoto.objects.create(order=order, file="photos/first.jpg", position=0)
    OrderPhoto.objects.create(order=order, file="photos/second.jpg", position=1)

    detail = admin_client.get(change("order", order.pk)).text
    listing = admin_client.get(changelist("order")).text

    assert detail.count('<img src="/media/photos/first.jpg"') == 1
    assert detail.count('<img src="/media/photos/second.jpg"') == 1
    assert '<img src="/media/photos/first.jpg"' in listing


def test_order_change_page_shows_history(admin_client, order, salesperson):
    Memo.objects.create(
        order=order, salesperson=salesperson, text="已约好周六", status=6
    )
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status=OrderStatus.CLAIMED,
        to_status=OrderStatus.TREATMENT_ARRANGED,
        remark="已约好周六",
    )
    Remark.objects.create(order=order, author_name="张客服", text="家长下午有空")

    response = admin_client.get(change("order", order.pk))

    assert "已约好周六" in response.text
    assert "家长下午有空" in response.text
    assert "已安排治疗" in response.text


def test_order_change_page_audited(admin_client, admin_user, order):
    admin_client.get(change("order", order.pk))

    record = AccessRecord.objects.get()
    assert record.order_id == order.pk
    assert record.channel == AccessRecord.Channel.BACK_OFFICE
    assert record.user == admin_user


def test_access_records_read_only(admin_client, order):
    admin_client.get(change("order", order.pk))
    record = AccessRecord.objects.get()

    response = admin_client.get(changelist("accessrecord"))

    assert listed_ids(response) == [record.pk]
    assert admin_client.get(change("accessrecord", record.pk)).status_code == 200
    response = admin_client.post(
        reverse("admin:apoint_accessrecord_delete", args=[record.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AccessRecord.objects.filter(pk=record.pk).exists()


def test_order_list_not_audited(admin_client, order):
    admin_client.get(changelist("order"))

    assert not AccessRecord.objects.exists()


# ---- filters and search -----------------------------------------------------


@pytest.fixture
def orders(hospital, beijing_hospital, agent, other_salesperson):
    shanghai_order = make_order(hospital, openid="patient-a", name="上海患者")
    beijing_order = make_order(
        beijing_hospital,
        openid="patient-b",
        name="北京患者",
        status=OrderStatus.UNCLAIMED,
    )
    Order.objects.filter(pk=beijing_order.pk).update(
        owner=agent,
        phone="13912345678",
        submitted_at=datetime.datetime(2020, 5, 1, tzinfo=datetime.UTC),
    )
    return shanghai_order, beijing_order


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=1", "beijing"),
        ("status__exact=2", "shanghai"),
        ("hospital__id__exact={beijing_hospital}", "beijing"),
        ("province__id__exact={shanghai}", "shanghai"),
        ("salesperson__id__exact={salesperson}", "shanghai"),
        ("owner__id__exact={agent}", "beijing"),
        ("submitted_at__year=2020", "beijing"),
        (
            "submitted_at__gte=2020-05-01+00:00:00%2B08:00"
            "&submitted_at__lt=2020-05-02+00:00:00%2B08:00",
            "beijing",
        ),
        ("q=北京", "beijing"),
        ("q=1391234", "beijing"),
        ("q=%2B86 139-1234-5678", "beijing"),
        ("q=上海患者", "shanghai"),
    ],
)
def test_order_list_filters(
    admin_client,
    orders,
    query,
    expected,
    beijing_hospital,
    shanghai,
    salesperson,
    agent,
):
    shanghai_order, beijing_order = orders
    query = query.format(
        beijing_hospital=beijing_hospital.pk,
        shanghai=shanghai.pk,
        salesperson=salesperson.pk,
        agent=agent.pk,
    )
    wanted = {"shanghai": shanghai_order.pk, "beijing": beijing_order.pk}[expected]

    response = admin_client.get(f"{changelist('order')}?{query}")

    assert response.status_code == 200
    assert listed_ids(response) == [wanted]


def test_staff_binding_filter(admin_client, salesperson, agent):
    bound = admin_client.get(f"{changelist('staffmember')}?bound=yes")
    unbound = admin_client.get(f"{changelist('staffmember')}?bound=no")

    assert listed_ids(bound) == [salesperson.pk]
    assert listed_ids(unbound) == [agent.pk]


def test_staff_search_by_phone(admin_client, salesperson, agent):
    response = admin_client.get(f"{changelist('staffmember')}?q=13800000003")

    assert listed_ids(response) == [agent.pk]


# ---- actions ---------------------------------------------------------------


def post_action(client: Client, action: str, ids: list[int], **fields):
    data = {"action": action, "_selected_action": [str(pk) for pk in ids]}
    data.update({name: str(value) for name, value in fields.items()})
    return client.post(changelist("order"), data, follow=True)


def test_claim_action_writes_history(admin_client, admin_user, hospital, agent):
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)

    response = post_action(admin_client, "claim", [order.pk], owner=agent.pk)

    assert f"已认领 1 个预约单：#{order.pk}" in response.text
    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED
    assert order.owner == agent
    assert order.salesperson == hospital.salesperson
    event = order.events.get()
    assert event.kind == OrderEvent.Kind.CLAIMED
    assert event.user == admin_user
    assert event.staff == agent


def test_claim_action_uses_own_staff(admin_client, hospital, agent_account):
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)

    post_action(admin_client, "claim", [order.pk])

    order.refresh_from_db()
    assert order.owner == agent_account


def test_claim_action_needs_owner(admin_client, hospital):
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)

    response = post_action(admin_client, "claim", [order.pk])

    assert "认领失败：请选择客服" in response.text
    order.refresh_from_db()
    assert order.status == OrderStatus.UNCLAIMED
    assert not order.events.exists()


def test_claim_action_reports_claimed(admin_client, order, agent):
    Order.objects.filter(pk=order.pk).update(owner=agent)
    response = post_action(admin_client, "claim", [order.pk], owner=agent.pk)

    assert f"#{order.pk} 认领失败：该预约单已被认领" in response.text
    assert not order.events.exists()


def test_claim_action_takes_ownerless_order(admin_client, order, agent):
    # Assigned to a salesperson before anyone claimed it: status 2, no owner.
    response = post_action(admin_client, "claim", [order.pk], owner=agent.pk)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.owner_id == agent.pk
    assert order.status == OrderStatus.CLAIMED
    assert order.events.get().kind == "claimed"


def test_assign_action_writes_history(
    admin_client, admin_user, hospital, other_salesperson
):
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)

    response = post_action(
        admin_client, "assign", [order.pk], salesperson=other_salesperson.pk
    )

    assert f"已分配 1 个预约单：#{order.pk}" in response.text
    order.refresh_from_db()
    assert order.salesperson == other_salesperson
    assert order.status == OrderStatus.CLAIMED
    event = order.events.get()
    assert event.kind == OrderEvent.Kind.ASSIGNED
    assert event.user == admin_user


def test_assign_action_needs_salesperson(admin_client, order):
    response = post_action(admin_client, "assign", [order.pk])

    assert "分配失败：请选择销售" in response.text
    assert not order.events.exists()


def test_assign_action_rejects_agent(admin_client, order, agent):
    response = post_action(admin_client, "assign", [order.pk], salesperson=agent.pk)

    assert "输入无效" in response.text
    order.refresh_from_db()
    assert order.salesperson != agent
    assert not order.events.exists()


def test_set_status_action_writes_history(admin_client, admin_user, order):
    response = post_action(
        admin_client,
        "set_status",
        [order.pk],
        status=OrderStatus.CONFIRMED.value,
        remark="家长确认周六来",
    )

    assert "已改为「确认去就诊」 1 个预约单" in response.text
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    event = order.events.get()
    assert event.from_status == OrderStatus.CLAIMED
    assert event.to_status == OrderStatus.CONFIRMED
    assert event.user == admin_user
    assert order.remarks.get().text == "家长确认周六来"


def test_set_status_action_checks_transition(db, hospital, agent, order):
    user = get_user_model().objects.create_user("cs", password=None, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_order", "change_order"])
    )
    StaffMember.objects.filter(pk=agent.pk).update(user=user)
    client = Client()
    client.force_login(user)

    # Customer service cannot jump from claimed to a 45-day follow-up.
    response = post_action(
        client, "set_status", [order.pk], status=OrderStatus.FOLLOW_UP_45.value
    )

    assert f"#{order.pk} 改状态失败：状态不能从" in response.text
    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED
    assert not order.events.exists()


def test_set_status_action_rejects_remark(admin_client, order):
    response = post_action(
        admin_client,
        "set_status",
        [order.pk],
        status=OrderStatus.CONFIRMED.value,
        remark="响铃\x07",
    )

    assert "输入无效，未做任何修改。说明：含有不允许的控制字符" in response.text
    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED
    assert not order.events.exists()


def test_set_status_action_needs_status(admin_client, order):
    response = post_action(admin_client, "set_status", [order.pk])

    assert "改状态失败：请选择新状态" in response.text
    assert not order.events.exists()


def test_unbind_action(admin_client, salesperson, agent):
    response = admin_client.post(
        changelist("staffmember"),
        {"action": "unbind", "_selected_action": [salesperson.pk, agent.pk]},
        follow=True,
    )

    assert "已解除 1 名员工的微信绑定；1 名本来就未绑定。" in response.text
    salesperson.refresh_from_db()
    assert salesperson.openid is None
    assert salesperson.bound_at is None
    entry = LogEntry.objects.get()
    assert entry.object_id == str(salesperson.pk)
    assert entry.get_change_message() == "解除微信绑定"


# ---- change forms ------------------------------------------------------------


def form_data(response) -> dict[str, object]:
    """Return the POST data of a rendered admin change form, unchanged."""
    data: dict[str, object] = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for index, inline_form in enumerate(formset.forms):
            for name in inline_form.fields:
                value = inline_form.initial.get(name, "")
                data[f"{formset.prefix}-{index}-{name}"] = (
                    "" if value is None else value
                )
    return data


def test_order_form_adds_remark(admin_client, admin_user, order, agent_account):
    url = change("order", order.pk)
    data = form_data(admin_client.get(url))
    data["remarks-2-0-text"] = "已电话联系家长"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    remark = order.remarks.get()
    assert remark.text == "已电话联系家长"
    assert remark.author == agent_account
    assert remark.author_name == agent_account.name
    assert remark.created_at is not None


def test_order_form_multiline_text(admin_client, order):
    url = change("order", order.pk)
    data = form_data(admin_client.get(url))
    # A browser sends textarea line breaks as CRLF.
    data["remarks-2-0-text"] = "第一行\r\n第二行"
    data["description"] = "描述一\r\n描述二"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert order.remarks.get().text == "第一行\n第二行"
    order.refresh_from_db()
    assert order.description == "描述一\n描述二"


def test_order_form_rejects_control_chars(admin_client, order):
    url = change("order", order.pk)
    data = form_data(admin_client.get(url))
    data["remarks-2-0-text"] = "响铃\x07"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "含有不允许的控制字符" in response.text
    assert not order.remarks.exists()


def test_order_form_status_read_only(admin_client, order):
    url = change("order", order.pk)
    data = form_data(admin_client.get(url))
    data["status"] = str(OrderStatus.PAUSED.value)
    data["name"] = "改过的名字"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED
    assert order.name == "改过的名字"
    assert not order.events.exists()


def test_order_form_rejects_bad_phone(admin_client, order):
    url = change("order", order.pk)
    data = form_data(admin_client.get(url))
    data["phone"] = "1234"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "格式不正确，应为11位手机号" in response.text
    order.refresh_from_db()
    assert order.phone == "16253478956"


def test_staff_form_normalises_phone(admin_client):
    response = admin_client.post(
        reverse("admin:apoint_staffmember_add"),
        {
            "name": "新销售",
            "phone": "+86 139-0000-0009",
            "email": "",
            "role": StaffMember.Role.SALESPERSON,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert StaffMember.objects.get(name="新销售").phone == "13900000009"
