"""Monthly reports against the history, the exports and the list's query count."""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from apoint.models import AccessRecord, Order, OrderEvent
from apoint.statuses import OrderStatus
from backoffice import reports
from tests.conftest import make_order
from tests.test_backoffice_access import owned_order

S = OrderStatus
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MARCH = reports.Month(2026, 3)


def at(day: int, hour: int = 10, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def event(order, to_status, when, staff=None, from_status=None, kind=None):
    row = OrderEvent.objects.create(
        order=order,
        kind=kind or OrderEvent.Kind.STATUS,
        staff=staff,
        from_status=from_status,
        to_status=to_status,
    )
    OrderEvent.objects.filter(pk=row.pk).update(created_at=when)


@pytest.fixture
def march_history(hospital, beijing_hospital, agent, other_agent, salesperson):
    """Three orders submitted in March 2026 with a known history."""
    first = make_order(hospital, openid="o_1", status=S.FIRST_FOLLOW_UP)
    second = make_order(hospital, openid="o_2", status=S.NO_SHOW)
    third = make_order(beijing_hospital, openid="o_3", status=S.CLAIMED)
    for order, day in ((first, 1), (second, 2), (third, 3)):
        Order.objects.filter(pk=order.pk).update(
            submitted_at=at(day), want_date=datetime.date(2026, 3, 20)
        )
        event(order, S.UNCLAIMED, at(day), kind=OrderEvent.Kind.SUBMITTED)
    claimed = OrderEvent.Kind.CLAIMED
    event(first, S.CLAIMED, at(4), agent, S.UNCLAIMED, kind=claimed)
    event(first, S.CONFIRMED, at(5), agent, S.CLAIMED)
    event(first, S.TREATMENT_ARRANGED, at(21), salesperson, S.CONFIRMED)
    event(first, S.FIRST_FOLLOW_UP, at(2, month=4), agent, S.TREATMENT_ARRANGED)
    event(second, S.CLAIMED, at(4), agent, S.UNCLAIMED, kind=claimed)
    event(second, S.CONFIRMED, at(6), agent, S.CLAIMED)
    event(second, S.NO_SHOW, at(21), salesperson, S.CONFIRMED)
    event(third, S.CLAIMED, at(7), other_agent, S.UNCLAIMED, kind=claimed)
    # Midnight in Shanghai on 1 April is still 31 March in UTC: April's.
    event(third, S.CONFIRMED, at(1, hour=0, month=4), other_agent, S.CLAIMED)
    return first, second, third


def test_agent_table_counts_history(march_history):
    table = reports.agent_table(MARCH)
    rows = {row[0]: row for row in table.rows}
    assert table.headers == ["客服", "合计", "已认领未确认", "确认去就诊"]
    assert rows["张客服"] == ["张客服", 4, 2, 2]
    assert rows["赵客服"] == ["赵客服", 1, 1, 0]


def test_salesperson_table_counts_history(march_history):
    table = reports.salesperson_table(MARCH)
    assert table.rows == [["王销售", 2, 1, 1]]
    assert table.headers[2:] == ["已安排治疗", "确认未到诊"]


def test_hospital_table_counts_history(march_history):
    rows = {row[0]: row[1] for row in reports.hospital_table(MARCH).rows}
    assert rows == {"上海医院": 6, "北京医院": 1}


def test_funnel_counts_orders_ever_reaching(march_history):
    rows = {row[0]: row[1] for row in reports.funnel_table(MARCH).rows}
    assert rows["提交"] == 3
    assert rows["已认领未确认"] == 3
    assert rows["确认去就诊"] == 3
    assert rows["已安排治疗"] == 1
    assert rows["完成首次随访"] == 1
    assert rows["完成15日随访"] == 0


def test_no_show_rate_per_hospital(march_history):
    rows = {row[0]: row[1:] for row in reports.no_show_table(MARCH).rows}
    assert rows["上海医院"] == [2, 1, "50.0%"]
    assert rows["北京医院"] == [1, 0, "0.0%"]


def test_month_parse_falls_back_to_default():
    default = datetime.date(2026, 5, 9)
    assert reports.Month.parse("2026-03", default) == MARCH
    assert reports.Month.parse("2026-13", default) == reports.Month(2026, 5)
    assert reports.Month.parse("garbage", default) == reports.Month(2026, 5)


def test_report_page_renders(admin_client, march_history):
    page = admin_client.get("/backoffice/reports/", {"month": "2026-03"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "转化漏斗" in body
    assert "bar-fill" in body


@pytest.mark.parametrize("key", sorted(reports.REPORTS))
def test_report_exports_csv(admin_client, march_history, key):
    response = admin_client.get(
        "/backoffice/reports/", {"month": "2026-03", "export": key, "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    table = reports.REPORTS[key](MARCH)
    assert rows[0] == list(table.headers)
    assert len(rows) == len(table.rows) + 1


@pytest.mark.parametrize("key", sorted(reports.REPORTS))
def test_report_exports_xlsx(admin_client, march_history, key):
    response = admin_client.get(
        "/backoffice/reports/", {"month": "2026-03", "export": key, "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    table = reports.REPORTS[key](MARCH)
    assert rows[0] == list(table.headers)
    assert rows[1:] == [list(row) for row in table.rows]


def test_unknown_export_is_404(admin_client, db):
    response = admin_client.get("/backoffice/reports/", {"export": "nope"})
    assert response.status_code == 404


def test_order_export_keeps_filters(agent_client, agent, hospital, beijing_hospital):
    shanghai_order = owned_order(hospital, agent, openid="o_sh")
    owned_order(beijing_hospital, agent, openid="o_bj")
    response = agent_client.get(
        "/backoffice/orders/", {"hospital": hospital.pk, "format": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [str(shanghai_order.pk)]
    assert rows[1][3] == "162****8956"
    record = AccessRecord.objects.get()
    assert record.order_id == shanghai_order.pk
    assert record.channel == AccessRecord.Channel.EXPORT


def test_order_export_xlsx(agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    Order.objects.filter(pk=order.pk).update(name="=HYPERLINK(1)")
    response = agent_client.get("/backoffice/orders/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == order.pk
    # Text that a spreadsheet would run as a formula is written as text.
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_access_records_export(admin_client, agent_client, agent, hospital):
    order = owned_order(hospital, agent)
    agent_client.get(f"/backoffice/orders/{order.pk}/")
    response = admin_client.get("/backoffice/access-records/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == str(order.pk)
    assert rows[1][3] == "张客服"


def _bulk_orders(hospital, agent, count: int, prefix: str) -> None:
    template = make_order(hospital, openid=f"o_{prefix}_template")
    Order.objects.filter(pk=template.pk).update(owner=agent)
    Order.objects.bulk_create(
        Order(
            patient_openid=f"o_{prefix}_{index}",
            name=f"患者{index}",
            birthday=template.birthday,
            sex=template.sex,
            phone=template.phone,
            province_id=template.province_id,
            hospital=hospital,
            want_date=template.want_date,
            status=S.CLAIMED,
            owner=agent,
            salesperson=template.salesperson,
        )
        for index in range(count - 1)
    )


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/backoffice/orders/")
    assert response.status_code == 200
    return len(queries)


def test_order_list_query_count_constant(agent_client, agent, hospital):
    _bulk_orders(hospital, agent, 10, "small")
    small = _list_queries(agent_client)
    _bulk_orders(hospital, agent, 990, "large")
    assert Order.objects.count() == 1000
    large = _list_queries(agent_client)
    assert small == large


def test_home_query_count_constant(agent_client, agent, hospital):
    _bulk_orders(hospital, agent, 10, "small")
    with CaptureQueriesContext(connection) as small:
        agent_client.get("/backoffice/")
    _bulk_orders(hospital, agent, 990, "large")
    with CaptureQueriesContext(connection) as large:
        agent_client.get("/backoffice/")
    assert len(small) == len(large)


def test_assignment_counts_as_status_change(hospital, agent):
    order = make_order(hospital, openid="o_assigned", status=S.CLAIMED)
    event(order, S.CLAIMED, at(8), agent, S.UNCLAIMED, kind=OrderEvent.Kind.ASSIGNED)
    event(order, S.CLAIMED, at(9), agent, S.CLAIMED, kind=OrderEvent.Kind.REASSIGNED)
    assert reports.agent_table(MARCH).rows == [["张客服", 1, 1]]


def test_order_export_invalid_filter_empty(agent_client, agent, hospital):
    owned_order(hospital, agent)
    response = agent_client.get("/backoffice/orders/", {"status": "x", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert not AccessRecord.objects.exists()
