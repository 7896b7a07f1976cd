"""The back office: Django admin pages for the roster, hospitals and orders.

Every change to an order's status, owner or salesperson goes through the
services, so that each one leaves a history row. The order change form edits
only the patient's own data. Status, owner and salesperson are read only
there and change through the list actions.
"""

import datetime
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apoint import services
from apoint.errors import ApiError
from apoint.logmask import mask_openid
from apoint.models import (
    AccessRecord,
    Hospital,
    Memo,
    Order,
    OrderEvent,
    OrderPhoto,
    Province,
    Remark,
    StaffMember,
)
from apoint.statuses import Actor, OrderStatus
from apoint.validation import (
    DESCRIPTION_MAX_LENGTH,
    REMARK_MAX_LENGTH,
    parse_email,
    parse_name,
    parse_phone,
    parse_text,
)

THUMBNAIL_HEIGHT_PX = 120
LIST_THUMBNAIL_HEIGHT_PX = 40

T = TypeVar("T")


def _parsed(parse: Callable[..., T], value: str, *args: Any, **kwargs: Any) -> T:
    """Run one of the API's field parsers on a form value.

    The parsers' messages start with the wire field name. The admin form
    shows the message beside the field, so the name is dropped.
    """
    try:
        return parse(value, *args, **kwargs)
    except ApiError as error:
        raise forms.ValidationError(error.msg.split(" ", 1)[-1]) from None


def _account(request: HttpRequest) -> AbstractBaseUser:
    """Return the signed-in account, which admin views always have."""
    if not isinstance(request.user, AbstractBaseUser):
        raise PermissionDenied
    return request.user


def _staff_of(request: HttpRequest) -> StaffMember | None:
    """Return the roster entry linked to the signed-in back-office account."""
    return StaffMember.objects.filter(user_id=_account(request).pk).first()


def _actor_of(request: HttpRequest) -> Actor:
    if request.user.is_superuser:
        return Actor.ADMINISTRATOR
    return Actor.CUSTOMER_SERVICE


# ---- provinces and hospitals --------------------------------------------


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "hospital_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Province]:
        return (
            super().get_queryset(request).annotate(_hospital_count=Count("hospitals"))
        )

    @admin.display(description="医院数", ordering="_hospital_count")
    def hospital_count(self, province: Province) -> int:
        return province._hospital_count  # type: ignore[attr-defined]


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    list_display = ["name", "province", "salesperson", "is_active", "is_demo"]
    list_filter = ["province", "is_active", "is_demo"]
    list_select_related = ["province", "salesperson"]
    search_fields = ["name", "address"]
    fields = ["name", "province", "address", "salesperson", "is_active", "is_demo"]


# ---- staff roster ---------------------------------------------------------


# The model stores the 11 normalised digits, but a typed number may also
# carry +86, spaces or dashes.
PHONE_INPUT_MAX_LENGTH = 32


class StaffMemberForm(forms.ModelForm):
    phone = forms.CharField(label="手机号", max_length=PHONE_INPUT_MAX_LENGTH)

    class Meta:
        model = StaffMember
        fields = ["name", "phone", "email", "role", "is_active", "user"]

    def clean_name(self) -> str:
        return _parsed(parse_name, self.cleaned_data["name"])

    def clean_phone(self) -> str:
        return _parsed(parse_phone, self.cleaned_data["phone"])

    def clean_email(self) -> str:
        return _parsed(parse_email, self.cleaned_data["email"])


class BindingFilter(admin.SimpleListFilter):
    title = "微信绑定"
    parameter_name = "bound"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("yes", "已绑定"), ("no", "未绑定")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[StaffMember]
    ) -> QuerySet[StaffMember]:
        if self.value() == "yes":
            return queryset.filter(openid__isnull=False)
        if self.value() == "no":
            return queryset.filter(openid__isnull=True)
        return queryset


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    form = StaffMemberForm
    list_display = ["name", "phone", "role", "is_bound", "bound_at", "is_active"]
    list_filter = ["role", "is_active", BindingFilter]
    search_fields = ["name", "phone"]
    fields = [
        "name",
        "phone",
        "email",
        "role",
        "is_active",
        "user",
        "masked_openid",
        "bound_at",
    ]
    # The openid changes only by binding through the API or by unbinding here.
    readonly_fields = ["masked_openid", "bound_at"]
    actions = ["unbind"]

    @admin.display(description="已绑定微信", boolean=True, ordering="openid")
    def is_bound(self, staff: StaffMember) -> bool:
        return staff.is_bound

    @admin.display(description="微信 openid")
    def masked_openid(self, staff: StaffMember) -> str:
        return mask_openid(staff.openid) if staff.openid else "-"

    @admin.action(description="解除所选员工的微信绑定")
    def unbind(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        bound = list(queryset.filter(openid__isnull=False))
        for staff in bound:
            services.staff_unbind(staff=staff)
            # The admin's own history is the only record of who unbound.
            self.log_change(request, staff, "解除微信绑定")
        skipped = queryset.count() - len(bound)
        self.message_user(
            request,
            f"已解除 {len(bound)} 名员工的微信绑定；{skipped} 名本来就未绑定。",
            messages.SUCCESS,
        )


# ---- orders ---------------------------------------------------------------


class OrderActionForm(ActionForm):
    """Inputs of the order list actions, shown beside the action menu."""

    owner = forms.ModelChoiceField(
        label="客服",
        queryset=StaffMember.objects.filter(
            role=StaffMember.Role.CUSTOMER_SERVICE, is_active=True
        ),
        required=False,
        help_text="认领时使用；留空则为当前账号关联的客服",
    )
    salesperson = forms.ModelChoiceField(
        label="销售",
        queryset=StaffMember.objects.filter(
            role=StaffMember.Role.SALESPERSON, is_active=True
        ),
        required=False,
    )
    status = forms.TypedChoiceField(
        label="新状态",
        choices=[("", "---------")]
        + [(s.value, s.label) for s in OrderStatus if s != OrderStatus.UNCLAIMED],
        coerce=int,
        empty_value=None,
        required=False,
    )
    next_call_date = forms.DateField(label="下次回访日期", required=False)
    remark = forms.CharField(label="说明", max_length=REMARK_MAX_LENGTH, required=False)

    def clean_remark(self) -> str:
        return _parsed(
            parse_text,
            self.cleaned_data["remark"],
            "remark",
            max_length=REMARK_MAX_LENGTH,
            required=False,
        )


class OrderForm(forms.ModelForm):
    phone = forms.CharField(label="手机号", max_length=PHONE_INPUT_MAX_LENGTH)

    class Meta:
        model = Order
        fields = [
            "name",
            "sex",
            "birthday",
            "phone",
            "want_date",
            "description",
            "next_call_date",
        ]

    def clean_name(self) -> str:
        return _parsed(parse_name, self.cleaned_data["name"])

    def clean_phone(self) -> str:
        return _parsed(parse_phone, self.cleaned_data["phone"])

    def clean_description(self) -> str:
        return _parsed(
            parse_text,
            self.cleaned_data["description"],
            "description",
            max_length=DESCRIPTION_MAX_LENGTH,
            required=False,
        )

    def clean_birthday(self) -> datetime.date:
        birthday: datetime.date = self.cleaned_data["birthday"]
        if birthday > timezone.localdate():
            raise forms.ValidationError("出生日期不能晚于今天")
        return birthday


class PhotoInline(admin.TabularInline):
    model = OrderPhoto
    verbose_name_plural = "图片"
    fields = (
        "thumbnail",
        "width",
        "height",
        "size",
        "uploaded_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="缩略图")
    def thumbnail(self, photo: OrderPhoto) -> str:
        # NOTE: the browser scales the stored image down. No smaller copy
        # is made, so a page of large photos downloads them in full.
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener">'
            '<img src="{0}" alt="预约单图片" style="height: {1}px"></a>',
            photo.file.url,
            THUMBNAIL_HEIGHT_PX,
        )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RemarkInline(ReadOnlyInline):
    model = Remark
    fields = (
        "author_name",
        "text",
        "created_at",
    )
    readonly_fields = fields


class NewRemarkForm(forms.ModelForm):
    class Meta:
        model = Remark
        fields = ["text"]

    def clean_text(self) -> str:
        return _parsed(
            parse_text,
            self.cleaned_data["text"],
            "text",
            max_length=REMARK_MAX_LENGTH,
        )


class NewRemarkInline(admin.StackedInline):
    """One empty remark form, stored by `OrderAdmin.save_formset`."""

    model = Remark
    form = NewRemarkForm
    verbose_name = "新增客服备注"
    verbose_name_plural = "新增客服备注"
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Remark]:
        return super().get_queryset(request).none()


class MemoInline(ReadOnlyInline):
    model = Memo
    fields = (
        "salesperson",
        "status",
        "text",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Memo]:
        return super().get_queryset(request).select_related("salesperson")


class EventInline(ReadOnlyInline):
    model = OrderEvent
    fields = (
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "staff",
        "user",
        "remark",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("staff", "user")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderForm
    action_form = OrderActionForm
    actions = ["claim", "assign", "set_status"]
    list_display = [
        "id",
        "name",
        "phone",
        "status",
        "photo_thumbnails",
        "province",
        "hospital",
        "owner",
        "salesperson",
        "want_date",
        "submitted_at",
    ]
    list_filter = [
        "status",
        # Only the hospitals, provinces and staff that have orders, so that
        # the 34 provinces do not fill the sidebar.
        ("hospital", admin.RelatedOnlyFieldListFilter),
        ("province", admin.RelatedOnlyFieldListFilter),
        ("salesperson", admin.RelatedOnlyFieldListFilter),
        ("owner", admin.RelatedOnlyFieldListFilter),
        "submitted_at",
    ]
    list_select_related = ["province", "hospital", "owner", "salesperson"]
    search_fields = ["name", "phone"]
    date_hierarchy = "submitted_at"
    readonly_fields = [
        "status",
        "province",
        "hospital",
        "owner",
        "salesperson",
        "masked_patient_openid",
        "submitted_at",
        "updated_at",
    ]
    fieldsets = [
        (
            "患者",
            {
                "fields": [
                    "name",
                    "sex",
                    "birthday",
                    "phone",
                    "masked_patient_openid",
                    "description",
                ]
            },
        ),
        (
            "预约",
            {
                "fields": [
                    "status",
                    "province",
                    "hospital",
                    "want_date",
                    "owner",
                    "salesperson",
                    "next_call_date",
                    "submitted_at",
                    "updated_at",
                ]
            },
        ),
    ]
    inlines = [PhotoInline, RemarkInline, NewRemarkInline, MemoInline, EventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders come from the booking page only.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).prefetch_related("photos")

    @admin.display(description="图片")
    def photo_thumbnails(self, order: Order) -> str:
        return format_html_join(
            "",
            '<img src="{}" alt="" style="height: {}px; margin-right: 2px">',
            (
                (photo.file.url, LIST_THUMBNAIL_HEIGHT_PX)
                for photo in order.photos.all()
            ),
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        # A page that rendered showed the patient's record: audit the read.
        if request.method == "GET" and response.status_code == 200:
            services.access_record_add(
                order_id=int(object_id),
                channel=AccessRecord.Channel.BACK_OFFICE,
                staff=_staff_of(request),
                user=_account(request),
            )
        return response

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        # A phone typed as +86 139-1234-5678 finds the stored 13912345678.
        try:
            phone = parse_phone(search_term)
        except ApiError:
            return results, may_have_duplicates
        return results | queryset.filter(phone=phone), may_have_duplicates

    @admin.display(description="患者 openid")
    def masked_patient_openid(self, order: Order) -> str:
        return mask_openid(order.patient_openid)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        if not issubclass(formset.form, NewRemarkForm):
            formset.save()
            return
        # The author and the time come from the signed-in account and the
        # clock, not from the form. The change message reads these lists.
        formset.new_objects = []
        formset.changed_objects = []
        formset.deleted_objects = []
        for remark_form in formset.forms:
            if not remark_form.has_changed():
                continue
            remark = services.remark_add(
                order=formset.instance,
                text=remark_form.cleaned_data["text"],
                staff=_staff_of(request),
                user=_account(request),
            )
            formset.new_objects.append(remark)

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> HttpResponse | None:
        # Django reports an invalid action form as "No action selected", so
        # the invalid inputs are named here first.
        action_form = self._bound_action_form(request)
        action_form.is_valid()
        errors = {
            name: field_errors
            for name, field_errors in action_form.errors.items()
            if name not in {"action", "select_across"}
        }
        if errors:
            details = "；".join(
                f"{action_form.fields[name].label}：{'，'.join(map(str, field_errors))}"
                for name, field_errors in errors.items()
            )
            self.message_user(
                request, f"输入无效，未做任何修改。{details}", messages.ERROR
            )
            return None
        return super().response_action(request, queryset)

    def _bound_action_form(self, request: HttpRequest) -> OrderActionForm:
        action_form = OrderActionForm(request.POST, auto_id=False)
        action_field = cast(forms.ChoiceField, action_form.fields["action"])
        action_field.choices = self.get_action_choices(request)
        return action_form

    def _action_input(self, request: HttpRequest) -> dict[str, Any]:
        # Called from an action, after `response_action` checked the form.
        action_form = self._bound_action_form(request)
        action_form.is_valid()
        return action_form.cleaned_data

    def _report(
        self, request: HttpRequest, verb: str, done: list[int], failed: list[str]
    ) -> None:
        if done:
            ids = "、".join(f"#{order_id}" for order_id in done)
            self.message_user(request, f"已{verb} {len(done)} 个预约单：{ids}")
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="认领所选预约单（选择客服，或默认为当前账号）")
    def claim(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        data = self._action_input(request)
        owner = data["owner"] or _staff_of(request)
        if owner is None:
            self.message_user(
                request,
                "认领失败：请选择客服，或在员工名册中为当前账号关联客服员工。",
                messages.ERROR,
            )
            return
        done: list[int] = []
        failed: list[str] = []
        for order_id in queryset.values_list("id", flat=True):
            try:
                services.order_claim(
                    order_id=order_id, owner=owner, user=_account(request)
                )
            except ApiError as error:
                failed.append(f"#{order_id} 认领失败：{error.msg}")
            else:
                done.append(order_id)
        self._report(request, "认领", done, failed)

    @admin.action(description="分配给所选销售（未认领的同时变为已认领）")
    def assign(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        data = self._action_input(request)
        salesperson = data["salesperson"]
        if salesperson is None:
            self.message_user(request, "分配失败：请选择销售。", messages.ERROR)
            return
        done: list[int] = []
        failed: list[str] = []
        for order_id in queryset.values_list("id", flat=True):
            try:
                services.order_assign(
                    order_id=order_id,
                    salesperson=salesperson,
                    user=_account(request),
                    owner=_staff_of(request),
                )
            except ApiError as error:
                failed.append(f"#{order_id} 分配失败：{error.msg}")
            else:
                done.append(order_id)
        self._report(request, "分配", done, failed)

    @admin.action(description="把所选预约单改为所选状态")
    def set_status(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        data = self._action_input(request)
        if data["status"] is None:
            self.message_user(request, "改状态失败：请选择新状态。", messages.ERROR)
            return
        status = OrderStatus(data["status"])
        done: list[int] = []
        failed: list[str] = []
        for order_id in queryset.values_list("id", flat=True):
            try:
                services.order_set_status(
                    order_id=order_id,
                    status=status,
                    actor=_actor_of(request),
                    staff=_staff_of(request),
                    user=_account(request),
                    remark=data["remark"],
                    next_call_date=data["next_call_date"],
                )
            except ApiError as error:
                failed.append(f"#{order_id} 改状态失败：{error.msg}")
            else:
                done.append(order_id)
        self._report(request, f"改为「{status.label}」", done, failed)


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    """Read only: the audit trail is written by the code, never by hand."""

    list_display = ["created_at", "order_id", "channel", "staff", "user"]
    list_filter = ["channel", "created_at"]
    list_select_related = ["staff", "user"]
    search_fields = ["=order_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
