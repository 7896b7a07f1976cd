"""The project's URLs plus the floor views the benchmark compares against.

The floor views sit under /api/ so that ApiErrorMiddleware treats them like
the API endpoints.
"""

import orjson
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI

from apoint.identity import SESSION_OPENID_KEY
from apoint.models import Order, StaffMember
from apoint.selectors import SEX_LABELS
from apoint.statuses import STATUS_LABELS, OrderStatus
from config.urls import urlpatterns as project_urlpatterns

FLOOR_BODY = orjson.dumps({"ret": 0, "msg": "success"})
JSON_CONTENT_TYPE = "application/json"

floor_api = NinjaAPI(urls_namespace="bench-floor", docs_url=None, openapi_url=None)


def django_floor(request: HttpRequest) -> HttpResponse:
    """Encode a fixed dict: the cost of Django and the middleware stack alone."""
    return HttpResponse(
        orjson.dumps({"ret": 0, "msg": "success"}), content_type=JSON_CONTENT_TYPE
    )


@floor_api.get("/ninja/")
def ninja_floor(request: HttpRequest) -> dict[str, object]:
    """Return a fixed dict through django-ninja's routing and default renderer."""
    return {"ret": 0, "msg": "success"}


def mypatien_fast_path(request: HttpRequest) -> HttpResponse:
    """Build the mypatien body with one lookup, one `.values_list()` and orjson.

    The openid comes from the session as in mypatien, and the body has the
    same rows in the same order. So the two differ only in the code around
    the query: django-ninja, its query schema and the project's helpers.
    It skips the openid format check that mypatien makes.
    """
    openid = request.session.get(SESSION_OPENID_KEY) or request.GET.get("openid")
    staff_id = (
        StaffMember.objects.filter(openid=openid, is_active=True)
        .values_list("id", flat=True)
        .first()
    )
    if staff_id is None:
        return HttpResponse(
            orjson.dumps({"ret": 5, "msg": "未认证或无权限"}),
            content_type=JSON_CONTENT_TYPE,
        )
    rows = (
        Order.objects.filter(salesperson_id=staff_id)
        .exclude(status=OrderStatus.UNCLAIMED)
        .order_by(F("next_call_date").asc(nulls_last=True), "-submitted_at", "-id")
        .values_list("id", "name", "sex", "want_date", "hospital__name", "status")
    )
    lister = [
        {
            "wantTime": want_date,
            "hospital": hospital,
            "sex": SEX_LABELS[sex],
            "id": id_,
            "name": name,
            "status": status,
            "statusLabel": STATUS_LABELS[status],
        }
        for id_, name, sex, want_date, hospital, status in rows
    ]
    body = orjson.dumps({"ret": 0, "msg": "success", "lister": lister})
    return HttpResponse(body, content_type=JSON_CONTENT_TYPE)


urlpatterns = [
    path("api/bench/floor/", django_floor),
    path("api/bench/fastpath/", mypatien_fast_path),
    path("api/bench/", floor_api.urls),
    *project_urlpatterns,
]
