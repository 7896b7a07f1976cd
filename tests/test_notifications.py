import datetime as dt
import threading

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connections, transaction
from django.test import Client

from apoint import services
from apoint.models import Hospital, OrderEvent, Province, StaffMember
from apoint.signals import order_event_recorded
from apoint.statuses import Actor, OrderStatus
from notifications import receivers
from notifications.delivery import MAX_TRIES, deliver_due
from notifications.models import HospitalTexts, Notification
from notifications.texts import DEFAULT_TEXTS
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID, make_order

Kind = Notification.Kind
Status = Notification.Status
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def channels(settings, wechat, tencent):
    """WeChat and Tencent SMS fakes with a template for every message kind."""
    settings.NOTIFICATIONS_DELIVERY = "inline"
    settings.WECHAT_TEMPLATE_IDS = {kind: f"tpl_{kind}" for kind in DEFAULT_TEXTS}
    settings.SMS_TEMPLATE_IDS = {kind: f"sms_{kind}" for kind in DEFAULT_TEXTS}
    return wechat, tencent


def submit(client, hospital) -> dict:
    return client.post(
        "/api/apoint/ordersubmit/",
        {
            "name": "这是新患者",
            "openid": PATIENT_OPENID,
            "birthday": "2017-08-20",
            "sex": "男",
            "phone": "16253478956",
            "area": str(hospital.province_id),
            "wantTime": (dt.date.today() + dt.timedelta(days=10)).isoformat(),
            "hospital": str(hospital.pk),
            "description": "天使之吻",
            "photo": "[]",
        },
    ).json()


def confirm(order, agent) -> None:
    services.order_set_status(
        order_id=order.pk,
        status=OrderStatus.CONFIRMED,
        actor=Actor.CUSTOMER_SERVICE,
        staff=agent,
    )


def sms_phones(tencent) -> list[str]:
    return [payload["PhoneNumberSet"][0] for payload in tencent.sent()]


# ---- event messages -------------------------------------------------------


def test_submit_sends_wechat_to_family(
    client, hospital, channels, django_capture_on_commit_callbacks
):
    wechat, tencent = channels
    with django_capture_on_commit_callbacks(execute=True):
        body = submit(client, hospital)
    assert body["ret"] == 0
    [message] = wechat.templates_sent
    assert message["touser"] == PATIENT_OPENID
    assert message["template_id"] == "tpl_order_submitted"
    assert "上海医院" in message["data"]["first"]["value"]
    assert tencent.requests == []
    notification = Notification.objects.get()
    assert notification.kind == Kind.ORDER_SUBMITTED
    assert notification.status == Status.SENT
    assert notification.channel == "wechat"
    assert notification.tries == 1


@pytest.mark.parametrize("errcode", [43004, 43101, 40003])
def test_wechat_refusal_falls_back_to_sms(
    client, hospital, channels, django_capture_on_commit_callbacks, errcode
):
    wechat, tencent = channels
    wechat.template_errors[PATIENT_OPENID] = errcode
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, hospital)
    assert wechat.templates_sent == []
    [payload] = tencent.sent()
    assert payload["PhoneNumberSet"] == ["+8616253478956"]
    assert payload["TemplateId"] == "sms_order_submitted"
    assert payload["TemplateParamSet"][0] == "上海医院"
    notification = Notification.objects.get()
    assert notification.status == Status.SENT
    assert notification.channel == "sms"


def test_other_wechat_error_retries_later(
    client, hospital, channels, django_capture_on_commit_callbacks
):
    wechat, tencent = channels
    wechat.template_errors[PATIENT_OPENID] = 45009  # API quota reached
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, hospital)
    notification = Notification.objects.get()
    assert notification.status == Status.PENDING
    assert notification.tries == 1
    assert "45009" in notification.last_error
    assert tencent.requests == []


def test_no_wechat_sends_sms(
    client, hospital, channels, settings, django_capture_on_commit_callbacks
):
    _, tencent = channels
    settings.WECHAT_API_BASE_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, hospital)
    assert len(tencent.requests) == 1
    assert Notification.objects.get().channel == "sms"


def test_confirm_notifies_family_and_salesperson(
    order, agent, channels, django_capture_on_commit_callbacks
):
    wechat, _ = channels
    HospitalTexts.objects.create(
        hospital=order.hospital, confirmation="请于{date}带孩子到{address}。"
    )
    with django_capture_on_commit_callbacks(execute=True):
        confirm(order, agent)
    sent = {message["touser"]: message for message in wechat.templates_sent}
    assert set(sent) == {PATIENT_OPENID, SALESPERSON_OPENID}
    assert sent[PATIENT_OPENID]["template_id"] == "tpl_order_confirmed"
    assert sent[PATIENT_OPENID]["data"]["first"]["value"].startswith("请于")
    assert "黄浦区" in sent[PATIENT_OPENID]["data"]["first"]["value"]
    assert sent[SALESPERSON_OPENID]["template_id"] == "tpl_sales_order_confirmed"
    kinds = set(
        Notification.objects.filter(event__isnull=False).values_list("kind", flat=True)
    )
    assert kinds == {Kind.ORDER_CONFIRMED, Kind.SALES_ORDER_CONFIRMED}


def test_postpone_notifies_family(
    order, agent, channels, django_capture_on_commit_callbacks
):
    wechat, _ = channels
    with django_capture_on_commit_callbacks(execute=True):
        services.order_set_status(
            order_id=order.pk,
            status=OrderStatus.POSTPONED,
            actor=Actor.CUSTOMER_SERVICE,
            staff=agent,
        )
    [message] = wechat.templates_sent
    assert message["touser"] == PATIENT_OPENID
    assert message["template_id"] == "tpl_order_postponed"


def test_transfer_notifies_salesperson(
    order, salesperson, channels, django_capture_on_commit_callbacks
):
    wechat, _ = channels
    with django_capture_on_commit_callbacks(execute=True):
        services.memo_record(
            order_id=order.pk,
            salesperson=salesperson,
            text="转到北京",
            status=OrderStatus.TRANSFERRED,
        )
    [message] = wechat.templates_sent
    assert message["touser"] == SALESPERSON_OPENID
    assert message["template_id"] == "tpl_sales_order_transferred"


def test_salesperson_fallback_uses_staff_phone(
    order, salesperson, channels, django_capture_on_commit_callbacks
):
    wechat, tencent = channels
    wechat.template_errors[SALESPERSON_OPENID] = 43004
    with django_capture_on_commit_callbacks(execute=True):
        services.memo_record(
            order_id=order.pk,
            salesperson=salesperson,
            text="转院",
            status=OrderStatus.TRANSFERRED,
        )
    assert sms_phones(tencent) == ["+8613800000001"]
    assert tencent.sent()[0]["TemplateParamSet"] == [str(order.pk)]


def test_other_statuses_send_nothing(order, salesperson, channels):
    services.memo_record(
        order_id=order.pk,
        salesperson=salesperson,
        text="已安排",
        status=OrderStatus.TREATMENT_ARRANGED,
    )
    assert Notification.objects.count() == 0


def test_repeated_status_sends_once(order, salesperson, channels):
    for _ in range(2):
        services.memo_record(
            order_id=order.pk,
            salesperson=salesperson,
            text="转院",
            status=OrderStatus.TRANSFERRED,
        )
    assert Notification.objects.count() == 1


def test_event_recorded_twice_gives_one_message(order, channels):
    event = OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.STATUS,
        from_status=OrderStatus.CONFIRMED,
        to_status=OrderStatus.POSTPONED,
    )
    for _ in range(2):
        order_event_recorded.send(sender=OrderEvent, event=event, order=order)
    assert Notification.objects.filter(event=event).count() == 1


def test_messages_carry_no_patient_name(
    order, agent, channels, settings, django_capture_on_commit_callbacks
):
    wechat, tencent = channels
    wechat.template_errors[PATIENT_OPENID] = 43004
    with django_capture_on_commit_callbacks(execute=True):
        confirm(order, agent)
    raw = [request.body.decode() for request in wechat.requests + tencent.requests]
    assert raw
    assert not any(order.name in body for body in raw)


def test_rolled_back_action_sends_nothing(order, agent, channels):
    with pytest.raises(RuntimeError), transaction.atomic():
        confirm(order, agent)
        raise RuntimeError("the action fails after the event")
    assert Notification.objects.count() == 0


def test_failed_sending_never_fails_action(
    client, hospital, channels, django_capture_on_commit_callbacks
):
    wechat, tencent = channels
    wechat.template_errors[PATIENT_OPENID] = 43004
    tencent.error_code = "InternalError.Timeout"
    with django_capture_on_commit_callbacks(execute=True):
        body = submit(client, hospital)
    assert body["ret"] == 0
    notification = Notification.objects.get()
    assert notification.status == Status.PENDING
    assert "InternalError.Timeout" in notification.last_error


# ---- retries ----------------------------------------------------------------


def test_retry_with_backoff_then_sent(
    client, hospital, channels, django_capture_on_commit_callbacks
):
    wechat, tencent = channels
    wechat.template_errors[PATIENT_OPENID] = 43004
    tencent.error_code = "InternalError.Timeout"
    start = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            submit(client, hospital)
        notification = Notification.objects.get()
        assert notification.next_attempt_at == start + dt.timedelta(minutes=1)
        assert deliver_due() == 0  # not due yet
    tencent.error_code = ""
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert deliver_due() == 1
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.tries == 2
    assert notification.channel == "sms"
    assert len(tencent.requests) == 2


def test_backoff_doubles_then_fails(order, agent, channels, settings):
    _, tencent = channels
    settings.NOTIFICATIONS_DELIVERY = "worker"
    settings.WECHAT_TEMPLATE_IDS = {}
    tencent.error_code = "InternalError.Timeout"
    moment = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        services.order_set_status(
            order_id=order.pk,
            status=OrderStatus.POSTPONED,
            actor=Actor.CUSTOMER_SERVICE,
            staff=agent,
        )
    waits = []
    for _ in range(MAX_TRIES):
        with time_machine.travel(moment, tick=False):
            assert deliver_due() == 1
        notification = Notification.objects.get()
        waits.append(notification.next_attempt_at - moment)
        moment = notification.next_attempt_at
    assert notification.status == Status.FAILED
    assert notification.tries == MAX_TRIES
    assert [wait.total_seconds() for wait in waits[:-1]] == [60, 120, 240, 480, 960]


def test_sent_notification_not_sent_again(order, agent, channels):
    wechat, _ = channels
    confirm(order, agent)
    # The on-commit send did not run (no capture), so the worker sends.
    deliver_due()
    deliver_due()
    assert len(wechat.templates_sent) == 2  # family and salesperson


def test_worker_command_runs_once(order, agent, channels, settings):
    wechat, _ = channels
    settings.NOTIFICATIONS_DELIVERY = "worker"
    confirm(order, agent)
    call_command("notifications_worker", "--once")
    assert len(wechat.templates_sent) == 2
    assert set(
        Notification.objects.filter(event__isnull=False).values_list(
            "status", flat=True
        )
    ) == {Status.SENT}


# ---- visit reminders --------------------------------------------------------


def confirmed_order(hospital, agent, want_date: dt.date):
    order = make_order(hospital)
    order.want_date = want_date
    order.save(update_fields=["want_date"])
    confirm(order, agent)
    order.refresh_from_db()
    return order


def reminders(order) -> dict[str, Notification]:
    return {
        row.kind: row
        for row in Notification.objects.filter(order=order, due_date__isnull=False)
    }


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


VISIT = dt.date(2026, 12, 10)


@pytest.fixture
def reminder_channels(channels, settings):
    settings.NOTIFICATIONS_DELIVERY = "worker"
    return channels


def test_confirm_schedules_two_reminders(hospital, agent, reminder_channels):
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
    rows = reminders(order)
    assert rows[Kind.REMINDER_3_DAYS].due_date == dt.date(2026, 12, 7)
    assert rows[Kind.REMINDER_3_DAYS].next_attempt_at == at(dt.date(2026, 12, 7), 8)
    assert rows[Kind.REMINDER_DAY].due_date == VISIT
    assert rows[Kind.REMINDER_DAY].next_attempt_at == at(VISIT, 8)


def test_reminder_due_at_eight_beijing(hospital, agent, reminder_channels):
    wechat, tencent = reminder_channels
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
        deliver_due()  # the confirmation messages
    wechat.templates_sent.clear()
    tencent.requests.clear()
    with time_machine.travel(at(dt.date(2026, 12, 7), 7, 59), tick=False):
        assert deliver_due() == 0
    with time_machine.travel(at(dt.date(2026, 12, 7), 8, 0), tick=False):
        assert deliver_due() == 1
    with time_machine.travel(at(dt.date(2026, 12, 7), 8, 1), tick=False):
        assert deliver_due() == 0
    # By WeChat and by SMS, once each.
    [message] = wechat.templates_sent
    assert message["template_id"] == "tpl_visit_reminder_3_days"
    assert sms_phones(tencent) == ["+8616253478956"]
    row = reminders(order)[Kind.REMINDER_3_DAYS]
    assert row.status == Status.SENT
    assert row.channel == "wechat+sms"


def test_reminder_day_uses_beijing_date(hospital, agent, reminder_channels):
    wechat, _ = reminder_channels
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
    # 2026-12-09 16:30 UTC is 00:30 on the visit day in Beijing: not 08:00 yet.
    with time_machine.travel(dt.datetime(2026, 12, 9, 16, 30, tzinfo=dt.UTC)):
        deliver_due()
    assert reminders(order)[Kind.REMINDER_DAY].status == Status.PENDING
    # 00:00 UTC on the visit day is 08:00 in Beijing.
    with time_machine.travel(dt.datetime(2026, 12, 10, 0, 0, tzinfo=dt.UTC)):
        deliver_due()
    assert reminders(order)[Kind.REMINDER_DAY].status == Status.SENT
    assert wechat.templates_sent[-1]["template_id"] == "tpl_visit_reminder_day"


def test_late_worker_sends_before_midnight(hospital, agent, reminder_channels):
    _, tencent = reminder_channels
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
    with time_machine.travel(at(dt.date(2026, 12, 7), 23, 59), tick=False):
        deliver_due()
    assert reminders(order)[Kind.REMINDER_3_DAYS].status == Status.SENT
    # The confirmation messages went by WeChat, the reminder by both.
    assert len(tencent.requests) == 1


def test_reminder_expires_at_beijing_midnight(hospital, agent, reminder_channels):
    wechat, _ = reminder_channels
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
        deliver_due()
    wechat.templates_sent.clear()
    # 16:01 UTC on 12-07 is 00:01 on 12-08 in Beijing: the day has passed.
    with time_machine.travel(dt.datetime(2026, 12, 7, 16, 1, tzinfo=dt.UTC)):
        deliver_due()
    row = reminders(order)[Kind.REMINDER_3_DAYS]
    assert row.status == Status.CANCELLED
    assert wechat.templates_sent == []


def test_confirm_close_to_visit_skips_past(hospital, agent, reminder_channels):
    with time_machine.travel(at(dt.date(2026, 12, 8), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
    assert set(reminders(order)) == {Kind.REMINDER_DAY}


def test_confirm_on_reminder_day_sends_it(hospital, agent, reminder_channels):
    wechat, _ = reminder_channels
    with time_machine.travel(at(dt.date(2026, 12, 7), 15), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
        deliver_due()
    assert reminders(order)[Kind.REMINDER_3_DAYS].status == Status.SENT
    templates = [message["template_id"] for message in wechat.templates_sent]
    assert "tpl_visit_reminder_3_days" in templates
    templates = [message["template_id"] for message in wechat.templates_sent]
    assert "tpl_visit_reminder_3_days" in templates


def test_want_date_change_recomputes(hospital, agent, reminder_channels):
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
        order.want_date = dt.date(2026, 12, 20)
        order.save(update_fields=["want_date", "updated_at"])
    rows = Notification.objects.filter(order=order, due_date__isnull=False)
    pending = {(row.kind, row.due_date) for row in rows if row.status == Status.PENDING}
    assert pending == {
        (Kind.REMINDER_3_DAYS, dt.date(2026, 12, 17)),
        (Kind.REMINDER_DAY, dt.date(2026, 12, 20)),
    }
    assert rows.filter(status=Status.CANCELLED).count() == 2


def test_want_date_back_reuses_rows(hospital, agent, reminder_channels):
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
        for day in (dt.date(2026, 12, 20), VISIT):
            order.want_date = day
            order.save()
    rows = Notification.objects.filter(order=order, due_date__isnull=False)
    assert rows.count() == 4
    assert rows.filter(status=Status.PENDING, due_date__lte=VISIT).count() == 2


def test_leaving_confirmed_cancels_reminders(hospital, agent, reminder_channels):
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
        services.order_set_status(
            order_id=order.pk,
            status=OrderStatus.DECLINED,
            actor=Actor.CUSTOMER_SERVICE,
            staff=agent,
        )
    statuses = {row.status for row in reminders(order).values()}
    assert statuses == {Status.CANCELLED}


def test_date_changed_by_bulk_update_caught(hospital, agent, reminder_channels):
    wechat, _ = reminder_channels
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
        deliver_due()
    wechat.templates_sent.clear()
    type(order).objects.filter(pk=order.pk).update(want_date=dt.date(2026, 12, 9))
    with time_machine.travel(at(dt.date(2026, 12, 6), 8, 5), tick=False):
        call_command("notifications_worker", "--once")
    [message] = wechat.templates_sent
    assert message["template_id"] == "tpl_visit_reminder_3_days"
    new = Notification.objects.get(order=order, due_date=dt.date(2026, 12, 6))
    assert new.status == Status.SENT
    old = Notification.objects.get(order=order, due_date=dt.date(2026, 12, 7))
    assert old.status == Status.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_send_once(reminder_channels):
    wechat, tencent = reminder_channels
    # Built here: a live-server test before this one may have flushed the
    # provinces that the shared fixtures read.
    province, _ = Province.objects.get_or_create(name="上海")
    hospital = Hospital.objects.create(name="并发医院", province=province)
    agent = StaffMember.objects.create(
        name="张客服", phone="13800000003", role=StaffMember.Role.CUSTOMER_SERVICE
    )
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        for index in range(5):
            order = make_order(hospital, openid=f"o_family_{index:020d}")
            order.want_date = VISIT
            order.save(update_fields=["want_date"])
            confirm(order, agent)
    # Only the day reminders are due in this test.
    Notification.objects.exclude(kind=Kind.REMINDER_DAY).update(status=Status.SENT)
    errors = []

    def scheduler() -> None:
        try:
            for _ in range(4):
                deliver_due(limit=2)
        except Exception as error:  # noqa: BLE001  (reported by the assert)
            errors.append(error)
        finally:
            connections.close_all()

    with time_machine.travel(at(VISIT, 8, 30)):
        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    day_reminders = Notification.objects.filter(kind=Kind.REMINDER_DAY)
    assert day_reminders.count() == 5
    assert set(day_reminders.values_list("status", flat=True)) == {Status.SENT}
    assert set(day_reminders.values_list("tries", flat=True)) == {1}
    # One WeChat message and one SMS per reminder, never two.
    assert len(wechat.templates_sent) == 5
    assert len(tencent.requests) == 5


# ---- hospital texts -----------------------------------------------------------


def test_hospital_text_rejects_unknown_placeholder(hospital):
    texts = HospitalTexts(hospital=hospital, reminder_day="{name}您好，{hospital}")
    with pytest.raises(ValidationError) as raised:
        texts.full_clean()
    assert "reminder_day" in raised.value.message_dict


def test_hospital_text_rejects_attribute_access(hospital):
    texts = HospitalTexts(hospital=hospital, confirmation="{hospital.__class__}")
    with pytest.raises(ValidationError):
        texts.full_clean()


def test_hospital_texts_editable_in_admin(client, hospital, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.com", "pw")
    client.force_login(admin)
    response = client.post(
        "/admin/notifications/hospitaltexts/add/",
        {
            "hospital": hospital.pk,
            "confirmation": "请于{date}到{address}就诊。",
            "reminder_3_days": "",
            "reminder_day": "",
        },
    )
    assert response.status_code == 302
    assert HospitalTexts.objects.get().confirmation == "请于{date}到{address}就诊。"


@pytest.mark.django_db(transaction=True)
def test_thread_sends_after_commit(reminder_channels, settings):
    wechat, _ = reminder_channels
    settings.NOTIFICATIONS_DELIVERY = "thread"
    province, _ = Province.objects.get_or_create(name="上海")
    hospital = Hospital.objects.create(name="线程医院", province=province)
    body = submit(Client(), hospital)
    assert body["ret"] == 0
    # Wait for the background thread to finish what the commit queued.
    receivers._executor.submit(lambda: None).result(timeout=10)
    [message] = wechat.templates_sent
    assert message["template_id"] == "tpl_order_submitted"
    assert Notification.objects.get().status == Status.SENT


def test_wechat_timeout_retries_later(
    client, hospital, channels, django_capture_on_commit_callbacks
):
    wechat, tencent = channels
    wechat.delay_seconds = 1.5
    with django_capture_on_commit_callbacks(execute=True):
        body = submit(client, hospital)
    assert body["ret"] == 0
    notification = Notification.objects.get()
    assert notification.status == Status.PENDING
    assert "WeChat unreachable" in notification.last_error
    assert tencent.requests == []


def test_notification_admin_lists_and_searches(client, order, agent, channels):
    confirm(order, agent)
    admin = User.objects.create_superuser("admin", "a@example.com", "pw")
    client.force_login(admin)
    for query in (str(order.pk), "abc"):
        response = client.get("/admin/notifications/notification/", {"q": query})
        assert response.status_code == 200


def postpone(order, agent, salesperson) -> None:
    services.order_set_status(
        order_id=order.pk,
        status=OrderStatus.POSTPONED,
        actor=Actor.CUSTOMER_SERVICE,
        staff=agent,
    )


def transfer(order, agent, salesperson) -> None:
    services.memo_record(
        order_id=order.pk,
        salesperson=salesperson,
        text="转院",
        status=OrderStatus.TRANSFERRED,
    )


FAMILY_PHONE = "+8616253478956"
SALES_PHONE = "+8613800000001"


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            lambda order, agent, salesperson: confirm(order, agent),
            {
                ("sms_order_confirmed", FAMILY_PHONE),
                ("sms_sales_order_confirmed", SALES_PHONE),
            },
        ),
        (postpone, {("sms_order_postponed", FAMILY_PHONE)}),
        (transfer, {("sms_sales_order_transferred", SALES_PHONE)}),
    ],
    ids=["confirmed", "postponed", "transferred"],
)
def test_every_message_falls_back_to_sms(
    order,
    agent,
    salesperson,
    channels,
    django_capture_on_commit_callbacks,
    action,
    expected,
):
    wechat, tencent = channels
    wechat.template_errors = {PATIENT_OPENID: 43101, SALESPERSON_OPENID: 40003}
    with django_capture_on_commit_callbacks(execute=True):
        action(order, agent, salesperson)
    sent = {
        (payload["TemplateId"], payload["PhoneNumberSet"][0])
        for payload in tencent.sent()
    }
    assert sent == expected
    assert wechat.templates_sent == []
    statuses = Notification.objects.filter(event__isnull=False).values_list(
        "status", "channel"
    )
    assert set(statuses) == {(Status.SENT, "sms")}


def test_reminder_falls_back_to_sms_only(hospital, agent, reminder_channels):
    wechat, tencent = reminder_channels
    wechat.template_errors[PATIENT_OPENID] = 43004
    with time_machine.travel(at(dt.date(2026, 12, 1), 10), tick=False):
        order = confirmed_order(hospital, agent, VISIT)
    Notification.objects.filter(due_date__isnull=True).update(status=Status.SENT)
    with time_machine.travel(at(VISIT, 8, 0), tick=False):
        deliver_due()
    row = reminders(order)[Kind.REMINDER_DAY]
    assert row.status == Status.SENT
    assert row.channel == "sms"
    assert [payload["TemplateId"] for payload in tencent.sent()] == [
        "sms_visit_reminder_day"
    ]
