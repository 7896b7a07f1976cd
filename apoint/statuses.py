"""The fifteen order statuses and which may follow which, for whom."""

import enum

from django.db import models


class OrderStatus(models.IntegerChoices):
    # The values are the wire codes of the API and never change.
    UNCLAIMED = 1, "未认领"
    CLAIMED = 2, "已认领未确认"
    CONFIRMED = 3, "确认去就诊"
    DECLINED = 4, "确认不就诊"
    POSTPONED = 5, "延期预约"
    TREATMENT_ARRANGED = 6, "已安排治疗"
    FIRST_FOLLOW_UP = 7, "完成首次随访"
    FOLLOW_UP_15 = 8, "完成15日随访"
    FOLLOW_UP_30 = 9, "完成30日随访"
    FOLLOW_UP_45 = 10, "完成45日随访"
    TREATMENT_POSTPONED = 11, "延后治疗"
    PAUSED = 12, "暂停跟进"
    TRANSFERRED = 13, "转院"
    NO_SHOW = 14, "确认未到诊"
    REACTIVATED = 15, "被重新激活"


S = OrderStatus

CLOSED_STATUSES = frozenset({S.DECLINED, S.FOLLOW_UP_45, S.PAUSED, S.NO_SHOW})
OPEN_STATUSES = frozenset(set(S) - CLOSED_STATUSES)

# The statuses a salesperson records with a memo.
MEMO_STATUSES = frozenset(
    {S.TREATMENT_ARRANGED, S.TREATMENT_POSTPONED, S.PAUSED, S.TRANSFERRED, S.NO_SHOW}
)

# Statuses after which customer service owes the family a call, so the back
# office asks for a next call date.
FOLLOW_UP_DUE_STATUSES = frozenset({S.CLAIMED, S.POSTPONED, S.TREATMENT_POSTPONED})

STATUS_LABELS: dict[int, str] = {status.value: status.label for status in S}


class Actor(enum.Enum):
    CUSTOMER_SERVICE = "customer_service"
    SALESPERSON = "salesperson"
    ADMINISTRATOR = "administrator"


# Customer service moves an order along the booking and follow-up path. Claim
# (1 -> 2) is its own action, which also sets the owner, so no status change
# leaves unclaimed. Closed orders come back only by reactivation.
CUSTOMER_SERVICE_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.CLAIMED: frozenset({S.CONFIRMED, S.DECLINED, S.POSTPONED, S.PAUSED}),
    S.CONFIRMED: frozenset({S.DECLINED, S.POSTPONED, S.PAUSED}),
    S.POSTPONED: frozenset({S.CONFIRMED, S.DECLINED, S.PAUSED}),
    S.TREATMENT_ARRANGED: frozenset({S.FIRST_FOLLOW_UP, S.PAUSED}),
    S.FIRST_FOLLOW_UP: frozenset({S.FOLLOW_UP_15, S.PAUSED}),
    S.FOLLOW_UP_15: frozenset({S.FOLLOW_UP_30, S.PAUSED}),
    S.FOLLOW_UP_30: frozenset({S.FOLLOW_UP_45, S.PAUSED}),
    S.TREATMENT_POSTPONED: frozenset({S.CONFIRMED, S.POSTPONED, S.PAUSED}),
    S.TRANSFERRED: frozenset({S.CLAIMED, S.CONFIRMED, S.PAUSED}),
    S.REACTIVATED: frozenset({S.CLAIMED, S.CONFIRMED, S.POSTPONED, S.PAUSED}),
    S.DECLINED: frozenset({S.REACTIVATED}),
    S.FOLLOW_UP_45: frozenset({S.REACTIVATED}),
    S.PAUSED: frozenset({S.REACTIVATED}),
    S.NO_SHOW: frozenset({S.REACTIVATED}),
}

# A salesperson may record any memo status on an open order they can see,
# that is any open status but unclaimed.
SALESPERSON_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    status: MEMO_STATUSES for status in OPEN_STATUSES - {S.UNCLAIMED}
}


def allowed_next_statuses(actor: Actor, current: OrderStatus) -> frozenset[OrderStatus]:
    """Return the statuses `actor` may move an order in `current` to.

    An administrator may set any status but unclaimed, which only a new
    submission has. No actor moves an unclaimed order by a status change: the
    claim (or an assignment) does it and sets the owner too.
    """
    if current == S.UNCLAIMED:
        return frozenset()
    if actor is Actor.ADMINISTRATOR:
        return frozenset(set(S) - {S.UNCLAIMED, current})
    if actor is Actor.SALESPERSON:
        return SALESPERSON_TRANSITIONS.get(current, frozenset())
    return CUSTOMER_SERVICE_TRANSITIONS.get(current, frozenset())


def is_open(status: int) -> bool:
    return status in OPEN_STATUSES
