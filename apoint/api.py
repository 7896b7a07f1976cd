"""The HTTP API under /api/apoint/, as the WeChat front end speaks it.

Wire names (`wantTime`, `hospits`, `lister`, ...) live here and nowhere else.
Every endpoint returns HTTP 200 with `ret` and `msg` for business outcomes;
the handlers at the bottom turn errors into the same shape.
"""

import json
import logging
from typing import Any

import orjson
import redis
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from ninja import Form, NinjaAPI, Query, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import BaseRenderer

from apoint import catalog_views, codes, ratelimit, selectors, services
from apoint.api_schemas import (
    HospitalListOut,
    MyOrderOut,
    OkOut,
    PatientDetailOut,
    PatientListOut,
    ProvinceListOut,
    SubmitOut,
    UploadOut,
)
from apoint.errors import (
    MSG_BODY_TOO_LARGE,
    MSG_FORBIDDEN,
    MSG_ORDER_NOT_FOUND,
    MSG_SERVER_ERROR,
    MSG_SUCCESS,
    MSG_UNAVAILABLE,
    ApiError,
    Ret,
    invalid,
)
from apoint.identity import bound_staff, client_ip, request_openid
from apoint.middleware import json_error
from apoint.models import AccessRecord, Hospital, Order, Province
from apoint.statuses import MEMO_STATUSES, OrderStatus
from apoint.uploads import UploadError, photo_name_from_url, photo_store, photo_url
from apoint.validation import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PHOTO_MAX_COUNT,
    REMARK_MAX_LENGTH,
    parse_birthday,
    parse_code,
    parse_date,
    parse_email,
    parse_id,
    parse_name,
    parse_phone,
    parse_text,
    parse_want_date,
)

logger = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json"
MEMO_TYPES = {str(status.value) for status in MEMO_STATUSES}
SEX_FROM_LABEL = {label: value for value, label in Order.Sex.choices}
MSG_COUNTER_DOWN = "验证码服务暂时不可用，请稍后再试"


class OrjsonRenderer(BaseRenderer):
    media_type = JSON_CONTENT_TYPE

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data)


api = NinjaAPI(
    title="apoint API",
    version="1",
    description="预约与随访接口。业务结果一律 HTTP 200，以 ret 表示结果。",
    renderer=OrjsonRenderer(),
    urls_namespace="apoint-api",
)


def json_response(payload: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(payload), content_type=JSON_CONTENT_TYPE, status=status
    )


def ok(**extra: Any) -> HttpResponse:
    return json_response({"ret": Ret.OK.value, "msg": MSG_SUCCESS, **extra})


# ---- catalog ---------------------------------------------------------------


class HospitalQuery(Schema):
    area: str = ""


@api.get("/province/", response=ProvinceListOut, summary="全部省份")
def province(request: HttpRequest) -> HttpResponse:
    # config/urls.py routes this path to the plain view first; the operation
    # documents it and serves through the same view.
    return catalog_views.province_list(request)


@api.get("/hospital/", response=HospitalListOut, summary="启用的医院，可按省份筛选")
def hospital(request: HttpRequest, query: Query[HospitalQuery]) -> HttpResponse:
    return catalog_views.hospital_list(request)


# ---- patients --------------------------------------------------------------


class OrderSubmitForm(Schema):
    name: str = ""
    openid: str = ""
    birthday: str = ""
    sex: str = ""
    phone: str = ""
    area: str = ""
    wantTime: str = ""
    hospital: str = ""
    description: str = ""
    photo: str = "[]"


def _parse_photo_names(request: HttpRequest, value: str) -> list[str]:
    try:
        urls = json.loads(value or "[]")
    except ValueError:
        raise invalid("photo", "必须是图片地址的 JSON 列表") from None
    if not isinstance(urls, list):
        raise invalid("photo", "必须是图片地址的 JSON 列表")
    if len(urls) > PHOTO_MAX_COUNT:
        raise invalid("photo", f"最多{PHOTO_MAX_COUNT}张")
    names = []
    for url in urls:
        name = photo_name_from_url(request, url)
        if name is None:
            raise invalid("photo", "包含不是本服务上传的图片地址")
        names.append(name)
    return names


@api.post("/ordersubmit/", response=SubmitOut, summary="患者提交预约单")
def ordersubmit(request: HttpRequest, form: Form[OrderSubmitForm]) -> HttpResponse:
    today = timezone.localdate()
    name = parse_name(form.name)
    openid = request_openid(request, form.openid)
    birthday = parse_birthday(form.birthday, today)
    sex = SEX_FROM_LABEL.get(form.sex.strip())
    if sex is None:
        raise invalid("sex", "必须是 男 或 女")
    phone = parse_phone(form.phone)
    province_id = parse_id(form.area, "area")
    want_date = parse_want_date(form.wantTime, today)
    hospital_id = parse_id(form.hospital, "hospital")
    description = parse_text(
        form.description,
        "description",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
    )
    photo_names = _parse_photo_names(request, form.photo)
    province_row = Province.objects.filter(pk=province_id).first()
    if province_row is None:
        raise ApiError(Ret.NOT_FOUND, "省份不存在")
    hospital_row = Hospital.objects.filter(pk=hospital_id, is_active=True).first()
    if hospital_row is None:
        raise ApiError(Ret.NOT_FOUND, "医院不存在")
    if hospital_row.province_id != province_row.pk:
        raise invalid("hospital", "不属于所选省份")
    order = services.order_submit(
        openid=openid,
        name=name,
        birthday=birthday,
        sex=sex,
        phone=phone,
        province=province_row,
        hospital=hospital_row,
        want_date=want_date,
        description=description,
        photo_names=photo_names,
    )
    return ok(id=order.pk)


class OpenidQuery(Schema):
    openid: str = ""


@api.get("/myorder/", response=MyOrderOut, summary="患者最新的预约单及其状态")
def myorder(request: HttpRequest, query: Query[OpenidQuery]) -> HttpResponse:
    openid = request_openid(request, query.openid)
    data = selectors.latest_patient_order(openid)
    if data is None:
        raise ApiError(Ret.NOT_FOUND, MSG_ORDER_NOT_FOUND)
    return ok(data=data)


@api.post(
    "/upload/",
    response=UploadOut,
    summary="上传一张图片（任意字段名）",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            }
        }
    },
)
def upload(request: HttpRequest) -> HttpResponse:
    files = [item for _, items in request.FILES.lists() for item in items]
    if len(files) != 1:
        return json_response({"result": 1, "msg": "请上传一张图片"})
    try:
        photo = photo_store(files[0])
    except UploadError as error:
        return json_response({"result": 1, "msg": str(error)})
    return json_response({"result": 0, "imgurl": photo_url(request, photo.file.name)})


# ---- staff -----------------------------------------------------------------


class PhoneForm(Schema):
    phone: str = ""


@api.post("/scrfcode/", response=OkOut, summary="发送员工认证验证码")
def scrfcode(request: HttpRequest, form: Form[PhoneForm]) -> HttpResponse:
    phone = parse_phone(form.phone)
    codes.code_send(phone=phone, client_ip=client_ip(request))
    return ok()


class StaffAuthForm(Schema):
    openid: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    vercode: str = ""


@api.post("/staffauth/", response=OkOut, summary="员工认证：绑定微信")
def staffauth(request: HttpRequest, form: Form[StaffAuthForm]) -> HttpResponse:
    openid = request_openid(request, form.openid)
    name = parse_name(form.name)
    email = parse_email(form.email)
    phone = parse_phone(form.phone)
    code = parse_code(form.vercode)
    services.staff_bind(openid=openid, name=name, email=email, phone=phone, code=code)
    if hasattr(request, "session") and not request.session.is_empty():
        # A new session id after a change of privilege.
        request.session.cycle_key()
    return ok()


@api.get("/mypatien/", response=PatientListOut, summary="销售：我的患者")
def mypatien(request: HttpRequest, query: Query[OpenidQuery]) -> HttpResponse:
    staff = bound_staff(request, query.openid)
    return ok(lister=selectors.patient_rows(selectors.salesperson_orders(staff)))


class PatientSearchQuery(Schema):
    openid: str = ""
    name: str = ""


@api.get("/patsearch/", response=PatientListOut, summary="销售：按姓名搜索我的患者")
def patsearch(request: HttpRequest, query: Query[PatientSearchQuery]) -> HttpResponse:
    name = parse_text(query.name, "name", max_length=NAME_MAX_LENGTH)
    staff = bound_staff(request, query.openid)
    orders = selectors.salesperson_orders(staff).filter(name__contains=name)
    return ok(lister=selectors.patient_rows(orders))


class DetailQuery(Schema):
    id: str = ""
    openid: str = ""


@api.get("/patientsdetail/", response=PatientDetailOut, summary="销售：患者详情")
def patientsdetail(request: HttpRequest, query: Query[DetailQuery]) -> HttpResponse:
    order_id = parse_id(query.id, "id")
    staff = bound_staff(request, query.openid)
    row = selectors.detail_order_row(order_id)
    if row is None:
        raise ApiError(Ret.NOT_FOUND, MSG_ORDER_NOT_FOUND)
    if row["salesperson_id"] != staff.pk or row["status"] == OrderStatus.UNCLAIMED:
        raise ApiError(Ret.FORBIDDEN, MSG_FORBIDDEN)
    data = selectors.patient_detail(request, row)
    services.access_record_add(
        order_id=order_id, staff=staff, channel=AccessRecord.Channel.API
    )
    return ok(data=data)


class MemoForm(Schema):
    id: str = ""
    openid: str = ""
    describe: str = ""
    types: str = ""
    nextcalldate: str = ""


@api.post("/thememo/", response=OkOut, summary="销售：记录随访结果")
def thememo(request: HttpRequest, form: Form[MemoForm]) -> HttpResponse:
    order_id = parse_id(form.id, "id")
    text = parse_text(
        form.describe, "describe", max_length=REMARK_MAX_LENGTH, required=False
    )
    types = form.types.strip()
    if types not in MEMO_TYPES:
        raise invalid("types", "必须是 6、11、12、13、14 之一")
    next_call_date = None
    if form.nextcalldate.strip():
        next_call_date = parse_date(form.nextcalldate, "nextcalldate")
        if next_call_date < timezone.localdate():
            raise invalid("nextcalldate", "不能早于今天")
    staff = bound_staff(request, form.openid)
    services.memo_record(
        order_id=order_id,
        salesperson=staff,
        text=text,
        status=OrderStatus(int(types)),
        next_call_date=next_call_date,
    )
    return ok()


# ---- errors ----------------------------------------------------------------


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return json_response({"ret": error.ret.value, "msg": error.msg})


@api.exception_handler(NinjaValidationError)
def on_validation_error(
    request: HttpRequest, error: NinjaValidationError
) -> HttpResponse:
    first = error.errors[0] if error.errors else {}
    field = str(first.get("loc", ["", "?"])[-1])
    return json_response({"ret": Ret.INVALID.value, "msg": f"{field} 格式不正确"})


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return json_error(Ret.INVALID, MSG_BODY_TOO_LARGE, 413)


@api.exception_handler(SuspiciousOperation)
def on_bad_request(request: HttpRequest, error: SuspiciousOperation) -> HttpResponse:
    logger.warning("bad request on %s: %s", request.path, error)
    return json_response({"ret": Ret.INVALID.value, "msg": "请求格式不正确"}, 400)


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, error: MultiPartParserError) -> HttpResponse:
    logger.warning("bad multipart body on %s: %s", request.path, error)
    return json_error(Ret.INVALID, "multipart 请求体格式不正确", 400)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_down(request: HttpRequest, error: DatabaseError) -> HttpResponse:
    logger.error("database unavailable on %s: %s", request.path, error)
    return json_response({"ret": Ret.UNAVAILABLE.value, "msg": MSG_UNAVAILABLE}, 503)


@api.exception_handler(redis.RedisError)
def on_cache_down(request: HttpRequest, error: redis.RedisError) -> HttpResponse:
    logger.error("cache unavailable on %s: %s", request.path, error)
    return json_response({"ret": Ret.UNAVAILABLE.value, "msg": MSG_UNAVAILABLE}, 503)


@api.exception_handler(ratelimit.CounterUnavailable)
def on_counter_unavailable(
    request: HttpRequest, error: ratelimit.CounterUnavailable
) -> HttpResponse:
    # Rate limits fail closed: without a counter no code is sent.
    return json_response({"ret": Ret.UNAVAILABLE.value, "msg": MSG_COUNTER_DOWN}, 503)


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.exception("unhandled error on %s", request.path)
    return json_response({"ret": Ret.SERVER_ERROR.value, "msg": MSG_SERVER_ERROR}, 500)
