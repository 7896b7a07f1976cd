from django.contrib import admin
from django.urls import include, path, re_path

from apoint import catalog_views
from apoint.api import api
from apoint.health import healthz
from apoint.views import api_not_found, serve_media

admin.site.site_header = "apoint 预约管理后台"
admin.site.site_title = "apoint 后台"
admin.site.index_title = "管理"

urlpatterns = [
    # Served without django-ninja, ahead of its identical operations.
    path("api/apoint/province/", catalog_views.province_list),
    path("api/apoint/hospital/", catalog_views.hospital_list),
    path("healthz", healthz, name="healthz"),
    path("api/apoint/", api.urls),
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
    path("h5/", include("h5.urls")),
    path("", include("wechat.urls")),
    path("backoffice/", include("backoffice.urls")),
    re_path(r"^media/(?P<path>.+)$", serve_media, name="media"),
]
