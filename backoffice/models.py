"""Back-office state that the core models do not hold."""

from django.conf import settings
from django.db import models

from apoint.models import Order, StaffMember


class BackOfficeAccess(models.Model):
    """A holder for the back-office permissions, without a table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("work_orders", "处理预约单：认领、改状态、改医院"),
            ("manage_orders", "管理全部预约单：查看全部、转交客服、合并"),
            ("view_reports", "查看月度报表"),
            ("view_access_records", "查看患者信息访问记录"),
            ("erase_patient", "按患者要求删除个人信息"),
        ]

    def __str__(self) -> str:
        return "客服后台权限"


class MemoReadMarker(models.Model):
    """When a staff member last opened an order, for the unread-memo list."""

    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="+", verbose_name="客服"
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="+", verbose_name="预约单"
    )
    read_at = models.DateTimeField("最后查看时间")

    class Meta:
        verbose_name = "备注已读标记"
        verbose_name_plural = "备注已读标记"
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "order"], name="one_read_marker_per_staff_order"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.read_at:%Y-%m-%d %H:%M}"


class Reassignment(models.Model):
    """An administrator's move of an order to another customer-service owner.

    The order's history contains the event. This row adds the new owner, so
    that the owner's home page can list it until they open the order.
    """

    order = models.ForeignKey(
        Order,
        on_delete=models.CASCADE,
        related_name="reassignments",
        verbose_name="预约单",
    )
    from_owner = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="原客服",
    )
    to_owner = models.ForeignKey(
        StaffMember,
        on_delete=models.CASCADE,
        related_name="reassignments_received",
        verbose_name="新客服",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作账号",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    seen_at = models.DateTimeField("新客服查看时间", null=True, blank=True)

    class Meta:
        verbose_name = "转交记录"
        verbose_name_plural = "转交记录"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.order_id} → {self.to_owner_id}"


class PatientErasure(models.Model):
    """A record that a patient's personal data was removed on request."""

    order_id = models.BigIntegerField("预约单号", unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作账号",
    )
    photo_count = models.PositiveIntegerField("删除的图片数", default=0)
    erased_at = models.DateTimeField("删除时间", auto_now_add=True)

    class Meta:
        verbose_name = "患者信息删除记录"
        verbose_name_plural = "患者信息删除记录"
        ordering = ["-erased_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.order_id}"
