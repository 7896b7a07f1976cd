"""Keep every response under /api/ in the contract's JSON shape."""

import logging
from collections.abc import Callable

import orjson
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict

from apoint.errors import (
    MSG_BODY_TOO_LARGE,
    MSG_METHOD_NOT_ALLOWED,
    MSG_NOT_FOUND,
    MSG_SERVER_ERROR,
    MSG_UNAVAILABLE,
    Ret,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
_STATUS_BODIES = {
    400: (Ret.INVALID, "请求格式不正确"),
    404: (Ret.NOT_FOUND, MSG_NOT_FOUND),
    405: (Ret.INVALID, MSG_METHOD_NOT_ALLOWED),
    413: (Ret.INVALID, MSG_BODY_TOO_LARGE),
    500: (Ret.SERVER_ERROR, MSG_SERVER_ERROR),
    503: (Ret.UNAVAILABLE, MSG_UNAVAILABLE),
}


def json_error(ret: Ret, msg: str, status: int) -> HttpResponse:
    payload: dict[str, object] = {"ret": ret.value, "msg": msg}
    if status == 413:
        # Most 413s are oversized uploads, and the upload page reads
        # `result` rather than `ret`.
        payload["result"] = 1
    body = orjson.dumps(payload)
    return HttpResponse(body, content_type="application/json", status=status)


class ApiErrorMiddleware:
    """Turn JSON request bodies into form data and errors into JSON.

    The API reads POST fields; a JSON object body with the same keys is
    accepted too, so it is decoded here into request.POST.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Room for the multipart envelope around one capped file.
        self.max_body = settings.APOINT_UPLOAD_MAX_BYTES + 64 * 1024

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        rejected = self._prepare(request)
        if rejected is not None:
            return rejected
        response = self.get_response(request)
        shape = _STATUS_BODIES.get(response.status_code)
        if shape is not None and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            ret, msg = shape
            if response.status_code == 405 and response.get("Allow"):
                msg = f"{msg}，请使用 {response['Allow']}"
            converted = json_error(ret, msg, response.status_code)
            if response.get("Allow"):
                converted["Allow"] = response["Allow"]
            return converted
        return response

    def _prepare(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(Ret.INVALID, "Content-Length 无效", 400)
        if length > self.max_body:
            return json_error(Ret.INVALID, MSG_BODY_TOO_LARGE, 413)
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith("application/json"):
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return json_error(Ret.INVALID, MSG_BODY_TOO_LARGE, 413)
            try:
                data = orjson.loads(request.body or b"{}")
            except orjson.JSONDecodeError:
                return json_error(Ret.INVALID, "请求体不是有效的 JSON", 200)
            if not isinstance(data, dict):
                return json_error(Ret.INVALID, "请求体必须是 JSON 对象", 200)
            form = QueryDict(mutable=True)
            for key, value in data.items():
                if isinstance(value, str):
                    form[key] = value
                elif value is None:
                    form[key] = ""
                elif isinstance(value, bool | int | float):
                    form[key] = (
                        str(value).lower() if isinstance(value, bool) else str(value)
                    )
                else:
                    form[key] = orjson.dumps(value).decode()
            form._mutable = False
            request._post = form  # type: ignore[attr-defined]
            request._files = MultiValueDict()  # type: ignore[attr-defined]
        return None

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("database unavailable on %s: %s", request.path, exception)
            return json_error(Ret.UNAVAILABLE, MSG_UNAVAILABLE, 503)
        logger.exception("unhandled error on %s", request.path)
        return json_error(Ret.SERVER_ERROR, MSG_SERVER_ERROR, 500)
