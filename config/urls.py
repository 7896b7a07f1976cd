from django.contrib import admin
from django.urls import path, re_path

from apoint.api import api
from apoint.health import healthz
from apoint.views import api_not_found, serve_media

admin.site.site_header = "apoint 预约管理后台"
admin.site.site_title = "apoint 后台"
admin.site.index_title = "管理"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/apoint/", api.urls),
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    re_path(r"^media/(?P<path>.+)$", serve_media, name="media"),
]
