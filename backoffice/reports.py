"""Monthly reports, computed from the order history (OrderEvent rows)."""

import datetime
import re
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, F, QuerySet

from apoint.models import Order, OrderEvent, StaffMember
from apoint.statuses import STATUS_LABELS, OrderStatus
from backoffice.exports import Table

S = OrderStatus
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")

# The funnel's steps after submission, in the order an order passes them.
FUNNEL_STEPS = (
    S.CLAIMED,
    S.CONFIRMED,
    S.TREATMENT_ARRANGED,
    S.FIRST_FOLLOW_UP,
    S.FOLLOW_UP_15,
    S.FOLLOW_UP_30,
    S.FOLLOW_UP_45,
)
# A status change is a history row whose status differs from the one
# before, whatever its kind (a claim, an assignment, a status change), except
# the submission, which starts the order.


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, default: datetime.date) -> "Month":
        """Parse "YYYY-MM", falling back to the month of `default` if invalid."""
        match = MONTH.fullmatch(text.strip())
        if match and 1 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 9999:
            return cls(int(match[1]), int(match[2]))
        return cls(default.year, default.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> datetime.date:
        if self.month == 12:
            return datetime.date(self.year + 1, 1, 1)
        return datetime.date(self.year, self.month + 1, 1)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Start and end of the month in the project's time zone (Shanghai)."""
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        start = datetime.datetime.combine(self.first_day, datetime.time(), zone)
        end = datetime.datetime.combine(self.next_first_day, datetime.time(), zone)
        return start, end


def _status_events(month: Month) -> QuerySet[OrderEvent]:
    start, end = month.bounds()
    return (
        OrderEvent.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(kind=OrderEvent.Kind.SUBMITTED)
        .exclude(from_status=F("to_status"))
    )


def _per_person_table(
    month: Month, role: StaffMember.Role, title: str, name_header: str
) -> Table:
    rows = (
        _status_events(month)
        .filter(staff__role=role)
        .values("staff_id", "staff__name", "to_status")
        .annotate(count=Count("id"))
    )
    return _matrix(title, name_header, rows, "staff_id", "staff__name")


def _matrix(title: str, name_header: str, rows: Any, key: str, name_key: str) -> Table:
    """Pivot (key, to_status, count) rows into one row per key."""
    names: dict[int, str] = {}
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    statuses: set[int] = set()
    for row in rows:
        names[row[key]] = row[name_key]
        counts[row[key]][row["to_status"]] = row["count"]
        statuses.add(row["to_status"])
    columns = sorted(statuses)
    table_rows = []
    for row_key in sorted(names, key=lambda k: (-sum(counts[k].values()), names[k])):
        values = [counts[row_key].get(status, 0) for status in columns]
        table_rows.append([names[row_key], sum(values), *values])
    headers = [name_header, "合计", *(STATUS_LABELS[status] for status in columns)]
    return Table(title, headers, table_rows)


def agent_table(month: Month) -> Table:
    return _per_person_table(
        month, StaffMember.Role.CUSTOMER_SERVICE, "客服状态变更", "客服"
    )


def salesperson_table(month: Month) -> Table:
    return _per_person_table(
        month, StaffMember.Role.SALESPERSON, "销售状态变更", "销售"
    )


def hospital_table(month: Month) -> Table:
    # NOTE: history rows do not store the hospital, so a change is counted
    # for the order's current hospital, also for months before a transfer.
    rows = (
        _status_events(month)
        .values("order__hospital_id", "order__hospital__name", "to_status")
        .annotate(count=Count("id"))
    )
    return _matrix(
        "医院状态变更", "医院", rows, "order__hospital_id", "order__hospital__name"
    )


def funnel_table(month: Month) -> Table:
    """Orders submitted in the month and how many reached each step, ever."""
    start, end = month.bounds()
    submitted = Order.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    total = submitted.count()
    reached = dict(
        OrderEvent.objects.filter(order__in=submitted, to_status__in=FUNNEL_STEPS)
        .values("to_status")
        .annotate(count=Count("order_id", distinct=True))
        .values_list("to_status", "count")
    )
    rows = [["提交", total, _percent(total, total)]]
    for step in FUNNEL_STEPS:
        count = reached.get(step, 0)
        rows.append([STATUS_LABELS[step], count, _percent(count, total)])
    return Table("转化漏斗", ["环节", "预约单数", "占提交比例"], rows)


def no_show_table(month: Month) -> Table:
    """Per hospital: claimed orders with a want date in the month, and no-shows."""
    orders_due = Order.objects.filter(
        want_date__gte=month.first_day, want_date__lt=month.next_first_day
    ).exclude(status=S.UNCLAIMED)
    totals = {
        row["hospital_id"]: row
        for row in orders_due.values("hospital_id", "hospital__name").annotate(
            count=Count("id")
        )
    }
    no_shows = dict(
        OrderEvent.objects.filter(order__in=orders_due, to_status=S.NO_SHOW)
        .values("order__hospital_id")
        .annotate(count=Count("order_id", distinct=True))
        .values_list("order__hospital_id", "count")
    )
    rows = []
    for hospital_id, row in sorted(
        totals.items(), key=lambda item: item[1]["hospital__name"]
    ):
        missed = no_shows.get(hospital_id, 0)
        rows.append(
            [
                row["hospital__name"],
                row["count"],
                missed,
                _percent(missed, row["count"]),
            ]
        )
    return Table("未到诊率", ["医院", "预约单数", "确认未到诊", "未到诊率"], rows)


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "0.0%"
    return f"{100 * part / whole:.1f}%"


REPORTS = {
    "agents": agent_table,
    "salespeople": salesperson_table,
    "hospitals": hospital_table,
    "funnel": funnel_table,
    "no_show": no_show_table,
}
