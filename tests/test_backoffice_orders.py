"""The order page's actions and the agent's home page lists."""

import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from apoint.models import (
    AccessRecord,
    Memo,
    Order,
    OrderEvent,
    OrderPhoto,
    Remark,
)
from apoint.statuses import Actor, OrderStatus
from backoffice.models import PatientErasure, Reassignment
from backoffice.services import order_change_hospital, order_move
from tests.conftest import OTHER_SALESPERSON_OPENID, SALESPERSON_OPENID, make_order
from tests.test_backoffice_access import owned_order

S = OrderStatus


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def test_claim_makes_agent_owner(agent_client, agent, hospital, salesperson):
    order = make_order(hospital, status=S.UNCLAIMED, salesperson=None)
    Order.objects.filter(pk=order.pk).update(salesperson=None)
    response = agent_client.post(f"/backoffice/orders/{order.pk}/claim/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.CLAIMED
    assert order.owner_id == agent.pk
    assert order.salesperson_id == salesperson.pk
    event = OrderEvent.objects.get(order=order)
    assert event.kind == OrderEvent.Kind.CLAIMED
    assert event.user_id == agent.user_id


def test_claim_twice_is_refused(agent_client, other_agent_client, hospital):
    order = make_order(hospital, status=S.UNCLAIMED)
    agent_client.post(f"/backoffice/orders/{order.pk}/claim/")
    response = other_agent_client.post(f"/backoffice/orders/{order.pk}/claim/")
    # The order is now the first agent's, so the second may not even see it.
    assert response.status_code == 403
    assert OrderEvent.objects.filter(order=order).count() == 1


def test_move_to_confirmed(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    response = agent_client.post(
        f"/backoffice/orders/{order.pk}/move/",
        {"status": S.CONFIRMED.value, "remark": "家长确认周六来"},
        follow=True,
    )
    assert "状态已改为「确认去就诊」" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.CONFIRMED
    event = OrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status) == (S.CLAIMED, S.CONFIRMED)
    assert event.remark == "家长确认周六来"
    assert event.staff_id == agent.pk


def test_move_to_postponed_needs_call_date(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    response = agent_client.post(
        f"/backoffice/orders/{order.pk}/move/",
        {"status": S.POSTPONED.value},
        follow=True,
    )
    assert "需要填写下次回访日期" in response.content.decode()
    order.refresh_from_db()
    assert order.status == S.CLAIMED
    assert not OrderEvent.objects.filter(order=order).exists()


def test_move_to_postponed_with_call_date(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    agent_client.post(
        f"/backoffice/orders/{order.pk}/move/",
        {"status": S.POSTPONED.value, "next_call_date": in_days(3)},
    )
    order.refresh_from_db()
    assert order.status == S.POSTPONED
    assert order.next_call_date.isoformat() == in_days(3)


def test_move_illegal_status_changes_nothing(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    response = agent_client.post(
        f"/backoffice/orders/{order.pk}/move/",
        {"status": S.FOLLOW_UP_45.value},
        follow=True,
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == S.CLAIMED
    assert not OrderEvent.objects.filter(order=order).exists()


def test_note_sets_call_date_keeps_status(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    agent_client.post(
        f"/backoffice/orders/{order.pk}/note/",
        {"text": "没接电话", "next_call_date": in_days(1)},
    )
    order.refresh_from_db()
    assert order.status == S.CLAIMED
    assert order.next_call_date.isoformat() == in_days(1)
    assert Remark.objects.get(order=order).text == "没接电话"


def test_note_past_call_date_rejected(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    response = agent_client.post(
        f"/backoffice/orders/{order.pk}/note/",
        {"text": "没接电话", "next_call_date": in_days(-1)},
        follow=True,
    )
    assert "不能早于今天" in response.content.decode()
    assert not Remark.objects.filter(order=order).exists()


def test_change_hospital_routes_to_salesperson(
    agent_client, agent, hospital, beijing_hospital, other_salesperson
):
    order = owned_order(hospital, agent)
    agent_client.post(
        f"/backoffice/orders/{order.pk}/hospital/", {"hospital": beijing_hospital.pk}
    )
    order.refresh_from_db()
    assert order.hospital_id == beijing_hospital.pk
    assert order.province_id == beijing_hospital.province_id
    assert order.salesperson_id == other_salesperson.pk
    event = OrderEvent.objects.get(order=order)
    assert event.kind == OrderEvent.Kind.HOSPITAL_CHANGED
    assert "上海医院" in event.remark
    assert "北京医院" in event.remark


def test_new_salesperson_sees_history_after_hospital_change(
    client, agent, hospital, beijing_hospital
):
    order = owned_order(hospital, agent)
    order_move(
        order_id=order.pk,
        status=S.CONFIRMED,
        actor=Actor.CUSTOMER_SERVICE,
        staff=agent,
        user=None,
        remark="确认",
        next_call_date=None,
    )
    order_change_hospital(
        order_id=order.pk, hospital=beijing_hospital, staff=agent, user=None
    )
    body = client.get(
        "/api/apoint/patientsdetail/",
        {"id": order.pk, "openid": OTHER_SALESPERSON_OPENID},
    ).json()
    assert body["ret"] == 0
    assert len(body["data"]["history"]) == 2


def test_admin_reassign_lists_on_new_owner_home(
    admin_client, agent_client, agent, other_agent, hospital
):
    order = owned_order(hospital, other_agent)
    admin_client.post(f"/backoffice/orders/{order.pk}/reassign/", {"owner": agent.pk})
    order.refresh_from_db()
    assert order.owner_id == agent.pk
    assert OrderEvent.objects.get(order=order).kind == OrderEvent.Kind.REASSIGNED
    reassignment = Reassignment.objects.get(order=order)
    assert reassignment.from_owner_id == other_agent.pk
    home = agent_client.get("/backoffice/").context
    assert [row["order_id"] for row in home["reassigned"]] == [order.pk]
    agent_client.get(f"/backoffice/orders/{order.pk}/")
    home = agent_client.get("/backoffice/").context
    assert home["reassigned"] == []


def test_reassign_to_salesperson_rejected(admin_client, agent, salesperson, hospital):
    order = owned_order(hospital, agent)
    admin_client.post(
        f"/backoffice/orders/{order.pk}/reassign/", {"owner": salesperson.pk}
    )
    order.refresh_from_db()
    assert order.owner_id == agent.pk
    assert not Reassignment.objects.exists()


def test_merge_same_family(admin_client, agent, hospital, salesperson):
    target = owned_order(hospital, agent, openid="o_family")
    source = owned_order(hospital, agent, openid="o_family", status=S.PAUSED)
    OrderPhoto.objects.create(order=source, file="photos/source.jpg")
    Remark.objects.create(order=source, author=agent, text="旧单备注")
    Memo.objects.create(order=source, salesperson=salesperson, status=S.PAUSED)
    OrderEvent.objects.create(
        order=source, kind=OrderEvent.Kind.STATUS, from_status=2, to_status=12
    )
    admin_client.post(f"/backoffice/orders/{target.pk}/merge/", {"source": source.pk})
    assert not Order.objects.filter(pk=source.pk).exists()
    assert OrderPhoto.objects.get(file="photos/source.jpg").order_id == target.pk
    assert Remark.objects.get(text="旧单备注").order_id == target.pk
    assert Memo.objects.get().order_id == target.pk
    kinds = list(OrderEvent.objects.filter(order=target).values_list("kind", flat=True))
    assert kinds == [OrderEvent.Kind.STATUS, OrderEvent.Kind.MERGED]


def test_merge_other_family_rejected(admin_client, agent, hospital):
    target = owned_order(hospital, agent, openid="o_one")
    source = owned_order(hospital, agent, openid="o_two")
    Order.objects.filter(pk=source.pk).update(phone="13900000000")
    response = admin_client.post(
        f"/backoffice/orders/{target.pk}/merge/", {"source": source.pk}, follow=True
    )
    assert "不是同一家庭" in response.content.decode()
    assert Order.objects.filter(pk=source.pk).exists()


def test_agent_cannot_merge(agent_client, agent, hospital):
    target = owned_order(hospital, agent, openid="o_family")
    source = owned_order(hospital, agent, openid="o_family", status=S.PAUSED)
    response = agent_client.post(
        f"/backoffice/orders/{target.pk}/merge/", {"source": source.pk}
    )
    assert response.status_code == 403
    assert Order.objects.filter(pk=source.pk).exists()


def test_detail_view_writes_access_record(agent_client, agent, agent_user, hospital):
    order = owned_order(hospital, agent)
    agent_client.get(f"/backoffice/orders/{order.pk}/")
    record = AccessRecord.objects.get(order_id=order.pk)
    assert record.channel == AccessRecord.Channel.BACK_OFFICE
    assert record.user_id == agent_user.pk
    assert record.staff_id == agent.pk


def test_admin_reads_access_record(admin_client, agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    agent_client.get(f"/backoffice/orders/{order.pk}/")
    page = admin_client.get("/backoffice/access-records/", {"order": order.pk})
    assert [row["order_id"] for row in page.context["rows"]] == [order.pk]
    assert "张客服" in page.content.decode()


def test_detail_shows_full_phone_and_timeline(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    agent_client.post(
        f"/backoffice/orders/{order.pk}/move/",
        {"status": S.CONFIRMED.value, "remark": "确认周六"},
    )
    page = agent_client.get(f"/backoffice/orders/{order.pk}/")
    assert order.phone in page.content.decode()
    entries = page.context["timeline"]
    # The remark made with the status change shows once, on its history row.
    assert [entry["type"] for entry in entries] == ["event"]
    assert entries[0]["text"] == "确认周六"


def test_home_lists(agent_client, agent, hospital):
    today = timezone.localdate()
    unclaimed_old = make_order(hospital, status=S.UNCLAIMED, openid="o_a")
    unclaimed_new = make_order(hospital, status=S.UNCLAIMED, openid="o_b")
    Order.objects.filter(pk=unclaimed_old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=2)
    )
    late = owned_order(hospital, agent, openid="o_c")
    soon = owned_order(hospital, agent, openid="o_d")
    closed = owned_order(hospital, agent, openid="o_e", status=S.PAUSED)
    Order.objects.filter(pk=late.pk).update(
        next_call_date=today - datetime.timedelta(days=3)
    )
    Order.objects.filter(pk=soon.pk).update(
        next_call_date=today + datetime.timedelta(days=1)
    )
    Order.objects.filter(pk=closed.pk).update(
        next_call_date=today - datetime.timedelta(days=5)
    )
    context = agent_client.get("/backoffice/").context
    assert [row["id"] for row in context["unclaimed"]] == [
        unclaimed_old.pk,
        unclaimed_new.pk,
    ]
    assert [row["id"] for row in context["mine"]] == [late.pk, soon.pk]
    assert [row["id"] for row in context["overdue"]] == [late.pk]
    assert context["overdue"][0]["days_overdue"] == 3


def test_salesperson_memo_unread_until_opened(client, agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    agent_client.get(f"/backoffice/orders/{order.pk}/")
    body = client.post(
        "/api/apoint/thememo/",
        {
            "id": order.pk,
            "openid": SALESPERSON_OPENID,
            "describe": "已安排周六治疗",
            "types": "6",
        },
    ).json()
    assert body["ret"] == 0
    unread = agent_client.get("/backoffice/").context["unread"]
    assert [memo["text"] for memo in unread] == ["已安排周六治疗"]
    agent_client.get(f"/backoffice/orders/{order.pk}/")
    assert agent_client.get("/backoffice/").context["unread"] == []


def test_erase_patient(
    admin_client, agent, hospital, salesperson, django_capture_on_commit_callbacks
):
    order = owned_order(hospital, agent, openid="o_erase")
    older = owned_order(hospital, agent, openid="o_erase", status=S.PAUSED)
    other = owned_order(hospital, agent, openid="o_keep")
    sibling = owned_order(
        hospital, agent, openid="o_erase", status=S.PAUSED, name="妹妹"
    )
    name = default_storage.save("photos/erase-me.jpg", ContentFile(b"jpeg"))
    OrderPhoto.objects.create(order=older, file=name)
    Remark.objects.create(order=order, author=agent, text="孩子叫小明")
    Memo.objects.create(
        order=order,
        salesperson=salesperson,
        status=S.TREATMENT_ARRANGED,
        text="电话 162",
    )
    OrderEvent.objects.create(
        order=order, kind=OrderEvent.Kind.STATUS, to_status=2, remark="小明家长"
    )

    # Files are deleted after the commit, which the test transaction fakes.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/backoffice/orders/{order.pk}/erase/",
            {"confirm": str(order.pk)},
            follow=True,
        )
    assert response.status_code == 200

    for erased in (order, older):
        erased.refresh_from_db()
        assert erased.name == "（已删除）"
        assert erased.phone == ""
        assert erased.description == ""
        assert erased.patient_openid == f"erased-{erased.pk}"
        assert erased.status == S.PAUSED

    assert not default_storage.exists(name)
    assert not OrderPhoto.objects.exists()
    assert not Remark.objects.exists()
    assert Memo.objects.get().text == ""
    assert Memo.objects.get().status == S.TREATMENT_ARRANGED

    events = OrderEvent.objects.filter(order=order)
    assert set(events.values_list("remark", flat=True)) == {""}
    assert list(events.values_list("to_status", flat=True)) == [S.CLAIMED, S.PAUSED]
    assert set(PatientErasure.objects.values_list("order_id", flat=True)) == {
        order.pk,
        older.pk,
    }

    other.refresh_from_db()
    assert other.name == "这是新患者"
    sibling.refresh_from_db()
    assert sibling.name == "妹妹"


def test_erase_needs_confirmation(admin_client, agent, hospital):
    order = owned_order(hospital, agent)
    admin_client.post(f"/backoffice/orders/{order.pk}/erase/", {"confirm": "no"})
    order.refresh_from_db()
    assert order.name == "这是新患者"
    assert not PatientErasure.objects.exists()


def test_agent_cannot_erase(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    response = agent_client.post(
        f"/backoffice/orders/{order.pk}/erase/", {"confirm": str(order.pk)}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.name == "这是新患者"


def test_list_flags_missing_call_date(agent_client, agent, hospital, client):
    order = owned_order(hospital, agent, status=S.CONFIRMED)
    client.post(
        "/api/apoint/thememo/",
        {"id": order.pk, "openid": SALESPERSON_OPENID, "describe": "", "types": "11"},
    )
    mine = agent_client.get("/backoffice/").context["mine"]
    assert mine[0]["needs_call_date"] is True
    page = agent_client.get(f"/backoffice/orders/{order.pk}/")
    assert "需要约定下次回访日期" in page.content.decode()


def test_merge_open_into_closed_rejected(admin_client, agent, hospital):
    target = owned_order(hospital, agent, openid="o_family", status=S.PAUSED)
    source = owned_order(hospital, agent, openid="o_family")
    response = admin_client.post(
        f"/backoffice/orders/{target.pk}/merge/", {"source": source.pk}, follow=True
    )
    assert "正在进行中" in response.content.decode()
    assert Order.objects.filter(pk=source.pk).exists()


def test_reactivate_with_other_open_order_rejected(agent_client, agent, hospital):
    closed = owned_order(hospital, agent, openid="o_again", status=S.PAUSED)
    owned_order(hospital, agent, openid="o_again")
    response = agent_client.post(
        f"/backoffice/orders/{closed.pk}/move/",
        {"status": S.REACTIVATED.value},
        follow=True,
    )
    assert response.status_code == 200
    assert "已有进行中的预约单" in response.content.decode()
    closed.refresh_from_db()
    assert closed.status == S.PAUSED
    assert not OrderEvent.objects.filter(order=closed).exists()


def test_reactivate_closed_order(agent_client, agent, hospital):
    closed = owned_order(hospital, agent, status=S.PAUSED)
    agent_client.post(
        f"/backoffice/orders/{closed.pk}/move/", {"status": S.REACTIVATED.value}
    )
    closed.refresh_from_db()
    assert closed.status == S.REACTIVATED


def test_admin_may_reopen_as_confirmed(admin_client, agent, hospital):
    order = owned_order(hospital, agent, status=S.PAUSED)
    admin_client.post(
        f"/backoffice/orders/{order.pk}/move/", {"status": S.CONFIRMED.value}
    )
    order.refresh_from_db()
    assert order.status == S.CONFIRMED
    event = OrderEvent.objects.get(order=order)
    assert event.user.username == "boss"
    assert event.staff_id is None


def test_agent_may_not_reopen_as_confirmed(agent_client, agent, hospital):
    order = owned_order(hospital, agent, status=S.PAUSED)
    agent_client.post(
        f"/backoffice/orders/{order.pk}/move/", {"status": S.CONFIRMED.value}
    )
    order.refresh_from_db()
    assert order.status == S.PAUSED


def test_move_form_offers_allowed_statuses(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    form = agent_client.get(f"/backoffice/orders/{order.pk}/").context["move_form"]
    offered = {value for value, _ in form.fields["status"].choices}
    assert offered == {S.CONFIRMED, S.DECLINED, S.POSTPONED, S.PAUSED}


def test_api_detail_writes_access_record(client, salesperson, hospital):
    order = make_order(hospital)
    body = client.get(
        "/api/apoint/patientsdetail/",
        {"id": order.pk, "openid": SALESPERSON_OPENID},
    ).json()
    assert body["ret"] == 0
    record = AccessRecord.objects.get(order_id=order.pk)
    assert record.channel == AccessRecord.Channel.API
    assert record.staff_id == salesperson.pk


def test_erase_survives_storage_failure(
    admin_client,
    agent,
    hospital,
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,
):
    order = owned_order(hospital, agent)
    OrderPhoto.objects.create(order=order, file="photos/a.jpg")
    OrderPhoto.objects.create(order=order, file="photos/b.jpg")
    deleted = []

    def flaky_delete(storage, name):
        if name == "photos/a.jpg":
            raise OSError("disk gone")
        deleted.append(name)

    monkeypatch.setattr(FileSystemStorage, "delete", flaky_delete)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/backoffice/orders/{order.pk}/erase/", {"confirm": str(order.pk)}
        )

    assert deleted == ["photos/b.jpg"]
    assert "photos/a.jpg" in caplog.text
    assert PatientErasure.objects.get().photo_count == 2
