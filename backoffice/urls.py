from django.contrib.auth import views as auth_views
from django.urls import path

from backoffice import actions, views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="backoffice/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page="backoffice:login"),
        name="logout",
    ),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path(
        "orders/<int:order_id>/<slug:action>/",
        actions.order_action,
        name="order_action",
    ),
    path("reports/", views.report, name="reports"),
    path("access-records/", views.access_records, name="access_records"),
]
