from django.conf import settings
from django.urls import URLPattern, path

from wechat import views

urlpatterns: list[URLPattern] = [
    path("wechat/authorize/", views.authorize, name="wechat-authorize"),
    path("wechat/callback/", views.callback, name="wechat-callback"),
]
if settings.LOCAL_MODE:
    urlpatterns.append(path("dev/signin/", views.dev_signin, name="dev-signin"))
