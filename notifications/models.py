from django.db import models
from django.db.models import Q

from apoint.models import Hospital, Order, OrderEvent
from notifications.texts import PLACEHOLDER_HELP, check_placeholders


class HospitalTexts(models.Model):
    """A hospital's own wording of the confirmation and the visit reminders.

    An empty field falls back to the default text in notifications.texts.
    """

    hospital = models.OneToOneField(
        Hospital,
        verbose_name="医院",
        on_delete=models.CASCADE,
        related_name="notification_texts",
    )
    confirmation = models.TextField(
        "确认就诊通知", blank=True, help_text=PLACEHOLDER_HELP
    )
    reminder_3_days = models.TextField(
        "就诊前三天提醒", blank=True, help_text=PLACEHOLDER_HELP
    )
    reminder_day = models.TextField(
        "就诊当天提醒", blank=True, help_text=PLACEHOLDER_HELP
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "医院通知文案"
        verbose_name_plural = "医院通知文案"

    def __str__(self) -> str:
        return f"{self.hospital} 通知文案"

    def clean(self) -> None:
        check_placeholders(
            {
                "confirmation": self.confirmation,
                "reminder_3_days": self.reminder_3_days,
                "reminder_day": self.reminder_day,
            }
        )


class Notification(models.Model):
    """One message to one recipient, sent by WeChat and/or SMS, with retries.

    Event messages are unique per (event, recipient), which is the
    idempotency key: recording an event twice cannot send twice. Visit
    reminders are unique per (order, kind, due date).
    """

    class Kind(models.TextChoices):
        ORDER_SUBMITTED = "order_submitted", "预约已提交"
        ORDER_CONFIRMED = "order_confirmed", "确认就诊"
        ORDER_POSTPONED = "order_postponed", "预约延期"
        SALES_ORDER_CONFIRMED = "sales_order_confirmed", "销售：预约确认就诊"
        SALES_ORDER_TRANSFERRED = "sales_order_transferred", "销售：预约转院"
        REMINDER_3_DAYS = "visit_reminder_3_days", "就诊前三天提醒"
        REMINDER_DAY = "visit_reminder_day", "就诊当天提醒"

    class Recipient(models.TextChoices):
        FAMILY = "family", "患者家属"
        SALESPERSON = "salesperson", "销售"

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        CANCELLED = "cancelled", "已取消"

    class Channel(models.TextChoices):
        NONE = "", "无"
        WECHAT = "wechat", "微信"
        SMS = "sms", "短信"
        WECHAT_AND_SMS = "wechat+sms", "微信和短信"

    order = models.ForeignKey(
        Order,
        verbose_name="预约单",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        OrderEvent,
        verbose_name="历史记录",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField("类型", max_length=32, choices=Kind.choices)
    recipient = models.CharField("接收人", max_length=16, choices=Recipient.choices)
    openid = models.CharField("接收人 openid", max_length=64, blank=True)
    phone = models.CharField("接收人手机号", max_length=11, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.PENDING
    )
    channel = models.CharField(
        "发送渠道", max_length=16, choices=Channel.choices, blank=True, default=""
    )
    tries = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    # The calendar day (Asia/Shanghai) a visit reminder is for; empty for
    # event messages.
    due_date = models.DateField("提醒日期", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试时间")
    # Set by the worker that claimed the row for sending.
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    wechat_sent_at = models.DateTimeField("微信发送时间", null=True, blank=True)
    sms_sent_at = models.DateTimeField("短信发送时间", null=True, blank=True)
    sent_at = models.DateTimeField("完成时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient"],
                condition=Q(event__isnull=False),
                name="one_notification_per_event_recipient",
            ),
            models.UniqueConstraint(
                fields=["order", "kind", "due_date"],
                condition=Q(due_date__isnull=False),
                name="one_reminder_per_order_kind_day",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"], name="notification_due_queue"
            ),
        ]

    def __str__(self) -> str:
        recipient = self.get_recipient_display()
        return f"#{self.order_id} {self.get_kind_display()} → {recipient}"

    @property
    def is_reminder(self) -> bool:
        return self.kind in REMINDER_KINDS


REMINDER_KINDS = frozenset(
    {Notification.Kind.REMINDER_3_DAYS, Notification.Kind.REMINDER_DAY}
)
