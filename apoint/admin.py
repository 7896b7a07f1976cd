from django.contrib import admin

from apoint.models import Hospital, Order, Province, StaffMember

admin.site.register(Province)
admin.site.register(Hospital)
admin.site.register(StaffMember)
admin.site.register(Order)
