"""The province and hospital lists as plain Django views.

Both serve prepared bytes (apoint/catalog.py) and are read on every booking,
so they skip django-ninja's per-request work: in bench/run.py the ninja
operations spent about a quarter more CPU per request than a plain view.
The ninja operations in apoint/api.py stay for the OpenAPI document, and
config/urls.py routes the two paths here before the ninja API.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from apoint.catalog import hospital_list_json, province_list_json
from apoint.errors import ApiError, Ret
from apoint.middleware import json_error
from apoint.validation import parse_id

JSON_CONTENT_TYPE = "application/json"


# csrf_exempt lets a POST reach require_safe's 405, which the middleware
# turns into the API's JSON, instead of Django's HTML CSRF page.
@csrf_exempt
@require_safe
def province_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse(province_list_json(), content_type=JSON_CONTENT_TYPE)


@csrf_exempt
@require_safe
def hospital_list(request: HttpRequest) -> HttpResponse:
    """Return the active hospitals, of one province when `area` names it."""
    area = request.GET.get("area", "")
    try:
        province_id = parse_id(area, "area") if area.strip() else None
    except ApiError as error:
        return json_error(error.ret, error.msg, 200)
    body = hospital_list_json(province_id)
    if body is None:
        return json_error(Ret.NOT_FOUND, "省份不存在", 200)
    return HttpResponse(body, content_type=JSON_CONTENT_TYPE)
