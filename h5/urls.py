from django.urls import path

from h5 import views

app_name = "h5"

urlpatterns = [
    path("", views.book, name="book"),
    path("myorder/", views.my_order, name="my_order"),
    path("staff/bind/", views.staff_bind, name="staff_bind"),
    path("staff/patients/", views.patients, name="patients"),
    path(
        "staff/patients/<int:order_id>/",
        views.patient_detail,
        name="patient_detail",
    ),
]
