"""The wording of every notification, and what fills its placeholders.

Texts may use {hospital}, {address}, {date} and {order_id}. None of them is
a patient's name, so no message carries one to WeChat or an SMS gateway.
"""

import datetime
import logging
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from notifications.models import Notification

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("hospital", "address", "date", "order_id")
PLACEHOLDER_HELP = (
    "可用占位符：{hospital} 医院名称，{address} 医院地址，{date} 预约日期，"
    "{order_id} 预约单号。留空则使用默认文案。短信网关按已报备的模板发送，"
    "此文案用于微信消息和控制台短信。"
)

DEFAULT_TEXTS = {
    "order_submitted": "您的预约已提交：{hospital}，{date}。客服会尽快与您联系。",
    "order_confirmed": "您已确认于{date}到{hospital}就诊，地址：{address}。",
    "order_postponed": "您在{hospital}的预约已延期，客服会与您联系确定新的时间。",
    "sales_order_confirmed": "您负责的预约单{order_id}已确认于{date}到{hospital}就诊。",
    "sales_order_transferred": "您负责的预约单{order_id}已转院，请留意后续安排。",
    "visit_reminder_3_days": "提醒：您预约了{date}到{hospital}就诊，地址：{address}。",
    "visit_reminder_day": "提醒：今天是您在{hospital}的就诊日，地址：{address}。",
}

# The HospitalTexts field that overrides each kind's default, if any.
HOSPITAL_TEXT_FIELDS = {
    "order_confirmed": "confirmation",
    "visit_reminder_3_days": "reminder_3_days",
    "visit_reminder_day": "reminder_day",
}

# The variables of each SMS template, in order. Aliyun fills them by these
# names and Tencent by position.
SMS_PARAM_NAMES = {
    "order_submitted": ("hospital", "date"),
    "order_confirmed": ("hospital", "date"),
    "order_postponed": ("hospital",),
    "sales_order_confirmed": ("order_id", "hospital", "date"),
    "sales_order_transferred": ("order_id",),
    "visit_reminder_3_days": ("hospital", "date"),
    "visit_reminder_day": ("hospital",),
}


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    values: dict[str, str]
    sms_param_names: tuple[str, ...]

    @property
    def sms_params(self) -> tuple[str, ...]:
        return tuple(self.values[name] for name in self.sms_param_names)


def format_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def render(notification: "Notification") -> RenderedMessage:
    """Fill the notification's text from its order and hospital, as they are now."""
    order = notification.order
    hospital = order.hospital
    values = {
        "hospital": hospital.name,
        "address": hospital.address or hospital.name,
        "date": format_date(order.want_date),
        "order_id": str(order.pk),
    }
    template = DEFAULT_TEXTS[notification.kind]
    field = HOSPITAL_TEXT_FIELDS.get(notification.kind)
    custom = getattr(getattr(hospital, "notification_texts", None), field or "", "")
    text = template.format_map(values)
    if custom and custom.strip():
        try:
            text = custom.strip().format_map(values)
        except (KeyError, IndexError, ValueError, AttributeError) as error:
            # Admin validation rejects these. A text saved some other way
            # falls back to the default instead of failing the message.
            logger.warning(
                "hospital %s text for %s is invalid (%s): using the default",
                hospital.pk,
                notification.kind,
                error,
            )
    return RenderedMessage(
        text=text,
        values=values,
        sms_param_names=SMS_PARAM_NAMES[notification.kind],
    )


def check_placeholders(texts: dict[str, str]) -> None:
    """Raise ValidationError for a text with an unknown or broken placeholder."""
    errors = {}
    for field, text in texts.items():
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        except ValueError:
            errors[field] = "花括号不成对：占位符写作 {hospital} 这样的形式。"
            continue
        unknown = names - set(PLACEHOLDERS)
        if unknown:
            errors[field] = (
                f"未知占位符：{'、'.join(sorted(unknown))}。"
                f"可用：{'、'.join(PLACEHOLDERS)}。"
            )
    if errors:
        raise ValidationError(errors)
