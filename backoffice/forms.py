"""Forms of the back-office actions, with labels and messages in Chinese."""

from django import forms

from apoint.models import Hospital, StaffMember
from apoint.statuses import STATUS_LABELS, OrderStatus
from apoint.validation import REMARK_MAX_LENGTH

# An <input type="date"> sends and shows ISO dates whatever the locale.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT_INPUT = forms.Textarea(attrs={"rows": 3})


class MoveForm(forms.Form):
    status = forms.TypedChoiceField(label="新状态", coerce=int)
    remark = forms.CharField(
        label="备注",
        required=False,
        max_length=REMARK_MAX_LENGTH,
        widget=TEXT_INPUT,
    )
    next_call_date = forms.DateField(
        label="下次回访日期", required=False, widget=DATE_INPUT
    )

    def __init__(self, *args, allowed: frozenset[OrderStatus], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [
            (status.value, f"{status.value} {STATUS_LABELS[status]}")
            for status in sorted(allowed)
        ]

    def clean_status(self) -> OrderStatus:
        return OrderStatus(self.cleaned_data["status"])


class NoteForm(forms.Form):
    text = forms.CharField(
        label="通话备注", max_length=REMARK_MAX_LENGTH, widget=TEXT_INPUT
    )
    next_call_date = forms.DateField(
        label="下次回访日期", required=False, widget=DATE_INPUT
    )


class HospitalForm(forms.Form):
    hospital = forms.ModelChoiceField(
        label="新医院",
        queryset=Hospital.objects.filter(is_active=True).select_related("province"),
    )


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label="新客服",
        queryset=StaffMember.objects.filter(
            role=StaffMember.Role.CUSTOMER_SERVICE, is_active=True
        ),
    )


class MergeForm(forms.Form):
    source = forms.IntegerField(label="并入本单的预约单号", min_value=1)


class OrderFilterForm(forms.Form):
    status = forms.TypedChoiceField(
        label="状态",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "全部"), *((s.value, s.label) for s in OrderStatus)],
    )
    hospital = forms.ModelChoiceField(
        label="医院", required=False, queryset=Hospital.objects.all()
    )
    owner = forms.ModelChoiceField(
        label="客服",
        required=False,
        queryset=StaffMember.objects.filter(role=StaffMember.Role.CUSTOMER_SERVICE),
    )
    q = forms.CharField(label="姓名/手机号/单号", required=False, max_length=32)
    submitted_from = forms.DateField(
        label="提交日期从", required=False, widget=DATE_INPUT
    )
    submitted_to = forms.DateField(label="到", required=False, widget=DATE_INPUT)
