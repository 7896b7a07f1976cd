from django.conf import settings
from django.db import models
from django.db.models import Q

from apoint.statuses import MEMO_STATUSES, OPEN_STATUSES, OrderStatus


class Province(models.Model):
    name = models.CharField("名称", max_length=16, unique=True)

    class Meta:
        verbose_name = "省份"
        verbose_name_plural = "省份"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class StaffMember(models.Model):
    class Role(models.TextChoices):
        SALESPERSON = "salesperson", "销售"
        CUSTOMER_SERVICE = "customer_service", "客服"

    name = models.CharField("姓名", max_length=32)
    phone = models.CharField("手机号", max_length=11, unique=True)
    email = models.EmailField("邮箱", blank=True)
    role = models.CharField(
        "角色", max_length=20, choices=Role.choices, default=Role.SALESPERSON
    )
    # NULL while unbound: a unique column admits many NULLs but not many "".
    openid = models.CharField(
        "微信 openid", max_length=64, unique=True, null=True, blank=True
    )
    bound_at = models.DateTimeField("绑定时间", null=True, blank=True)
    is_active = models.BooleanField("在职", default=True)
    # The back-office account of a customer-service member, if any.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="后台账号",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_member",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "员工"
        verbose_name_plural = "员工名册"
        ordering = ["name"]
        constraints = [
            # An unbound member has NULL, never "", which would match any
            # lookup by an empty openid.
            models.CheckConstraint(
                condition=~Q(openid=""), name="staff_openid_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"

    @property
    def is_bound(self) -> bool:
        return bool(self.openid)


class Hospital(models.Model):
    name = models.CharField("名称", max_length=64)
    province = models.ForeignKey(
        Province,
        verbose_name="省份",
        on_delete=models.PROTECT,
        related_name="hospitals",
    )
    address = models.CharField("地址", max_length=200, blank=True)
    salesperson = models.ForeignKey(
        StaffMember,
        verbose_name="负责销售",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hospitals",
        limit_choices_to={"role": StaffMember.Role.SALESPERSON},
    )
    is_active = models.BooleanField("启用", default=True)
    # Demo hospitals are loaded by `make run` in local mode only.
    is_demo = models.BooleanField("演示数据", default=False)

    class Meta:
        verbose_name = "医院"
        verbose_name_plural = "医院"
        ordering = ["province_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "name"], name="hospital_name_unique_in_province"
            )
        ]

    def __str__(self) -> str:
        return self.name


class VerificationCode(models.Model):
    """The current SMS code of a phone; a new code replaces the row."""

    phone = models.CharField(max_length=11, unique=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "验证码"
        verbose_name_plural = "验证码"

    def __str__(self) -> str:
        return f"验证码 {self.phone[:3]}****{self.phone[-4:]}"


class Order(models.Model):
    class Sex(models.TextChoices):
        MALE = "male", "男"
        FEMALE = "female", "女"

    patient_openid = models.CharField("患者 openid", max_length=64, db_index=True)
    name = models.CharField("患者姓名", max_length=32)
    birthday = models.DateField("出生日期")
    sex = models.CharField("性别", max_length=6, choices=Sex.choices)
    phone = models.CharField("手机号", max_length=11, db_index=True)
    province = models.ForeignKey(
        Province, verbose_name="省份", on_delete=models.PROTECT, related_name="+"
    )
    hospital = models.ForeignKey(
        Hospital, verbose_name="医院", on_delete=models.PROTECT, related_name="orders"
    )
    want_date = models.DateField("预约日期")
    description = models.TextField("胎记描述", blank=True)
    status = models.PositiveSmallIntegerField(
        "状态", choices=OrderStatus.choices, default=OrderStatus.UNCLAIMED
    )
    owner = models.ForeignKey(
        StaffMember,
        verbose_name="客服",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_orders",
    )
    salesperson = models.ForeignKey(
        StaffMember,
        verbose_name="销售",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_orders",
    )
    next_call_date = models.DateField("下次回访日期", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "预约单"
        verbose_name_plural = "预约单"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One open order per patient, held by the database so that
            # concurrent submissions cannot both succeed.
            models.UniqueConstraint(
                fields=["patient_openid"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="one_open_order_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values),
                name="order_status_known",
            ),
        ]
        indexes = [
            models.Index(
                fields=["salesperson", "next_call_date", "submitted_at"],
                name="order_salesperson_queue",
            ),
            models.Index(fields=["status", "submitted_at"], name="order_status_queue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class OrderPhoto(models.Model):
    """An uploaded image; `order` is empty until a submission claims it."""

    order = models.ForeignKey(
        Order,
        verbose_name="预约单",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
    )
    file = models.FileField("图片", max_length=200, unique=True)
    width = models.PositiveIntegerField("宽", default=0)
    height = models.PositiveIntegerField("高", default=0)
    size = models.PositiveIntegerField("字节数", default=0)
    position = models.PositiveSmallIntegerField("顺序", default=0)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "图片"
        verbose_name_plural = "图片"
        ordering = ["order_id", "position", "id"]

    def __str__(self) -> str:
        return self.file.name


class Remark(models.Model):
    """A customer-service note on an order."""

    order = models.ForeignKey(
        Order, verbose_name="预约单", on_delete=models.CASCADE, related_name="remarks"
    )
    author = models.ForeignKey(
        StaffMember,
        verbose_name="客服",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField("客服姓名", max_length=64, blank=True)
    text = models.TextField("备注")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "客服备注"
        verbose_name_plural = "客服备注"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:20]}"


class Memo(models.Model):
    """A salesperson's record of a follow-up, with the status it set."""

    order = models.ForeignKey(
        Order, verbose_name="预约单", on_delete=models.CASCADE, related_name="memos"
    )
    salesperson = models.ForeignKey(
        StaffMember,
        verbose_name="销售",
        on_delete=models.SET_NULL,
        null=True,
        related_name="memos",
    )
    text = models.TextField("描述", blank=True)
    status = models.PositiveSmallIntegerField("状态", choices=OrderStatus.choices)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "销售记录"
        verbose_name_plural = "销售记录"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=sorted(MEMO_STATUSES)),
                name="memo_status_is_memo_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.text[:20]}"


class OrderEvent(models.Model):
    """One row of an order's history: a status change, claim or reassignment."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "提交"
        STATUS = "status", "状态变更"
        CLAIMED = "claimed", "认领"
        ASSIGNED = "assigned", "分配销售"
        REASSIGNED = "reassigned", "转交客服"
        HOSPITAL_CHANGED = "hospital_changed", "更换医院"
        MERGED = "merged", "合并"

    order = models.ForeignKey(
        Order, verbose_name="预约单", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    staff = models.ForeignKey(
        StaffMember,
        verbose_name="员工",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="后台账号",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.PositiveSmallIntegerField(
        "原状态", choices=OrderStatus.choices, null=True, blank=True
    )
    to_status = models.PositiveSmallIntegerField("新状态", choices=OrderStatus.choices)
    remark = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "历史记录"
        verbose_name_plural = "历史记录"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.get_to_status_display()}"


class AccessRecord(models.Model):
    """One read or export of a patient's detail, kept for the privacy audit."""

    class Channel(models.TextChoices):
        API = "api", "接口"
        BACK_OFFICE = "back_office", "后台"
        EXPORT = "export", "导出"

    # A plain id, not a foreign key, so that the record outlives the order.
    order_id = models.BigIntegerField("预约单号", db_index=True)
    staff = models.ForeignKey(
        StaffMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField("渠道", max_length=20, choices=Channel.choices)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "访问记录"
        verbose_name_plural = "访问记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.get_channel_display()}"


class RateCounter(models.Model):
    """A rate-limit counter, used when no Redis cache is configured."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
