from django.contrib import admin

from notifications.models import HospitalTexts, Notification


@admin.register(HospitalTexts)
class HospitalTextsAdmin(admin.ModelAdmin):
    list_display = ["hospital", "updated_at"]
    search_fields = ["hospital__name"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "order",
        "kind",
        "recipient",
        "status",
        "channel",
        "tries",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["=order__id"]
    # The record is what happened: the back office reads it, never edits it.
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
