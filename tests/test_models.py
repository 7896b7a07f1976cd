import pytest
from django.db import IntegrityError, connection, transaction

from apoint.models import Memo, Order, Province, StaffMember
from apoint.statuses import OrderStatus
from tests.conftest import make_order


def test_province_added_after_initial_data(db):
    added = Province.objects.create(name="测试省")
    assert added.pk > 34


def test_second_open_order_violates_index(hospital):
    make_order(hospital, status=OrderStatus.TREATMENT_ARRANGED)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_order(hospital, status=OrderStatus.UNCLAIMED)


def test_closed_orders_do_not_count(hospital):
    make_order(hospital, status=OrderStatus.PAUSED)
    make_order(hospital, status=OrderStatus.NO_SHOW)
    make_order(hospital, status=OrderStatus.CLAIMED)
    assert Order.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite settings only")
def test_sqlite_runs_wal_with_full_sync(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_unknown_order_status_violates_check(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status=99)


def test_memo_with_other_status_violates_check(order, salesperson):
    with pytest.raises(IntegrityError), transaction.atomic():
        Memo.objects.create(order=order, salesperson=salesperson, status=2)


def test_empty_staff_openid_violates_check(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMember.objects.create(name="空", phone="13900000777", openid="")
