"""Request ids: one per request, in every log record and in X-Request-ID."""

import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from apoint.identity import is_trusted_proxy
from apoint.logcontext import request_id

logger = logging.getLogger(__name__)

HEADER = "X-Request-ID"
# Accepted form of a proxy's request id (nginx's $request_id is 32 hex digits).
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _incoming_id(environ: Mapping[str, Any]) -> str | None:
    """Return the proxy's request id, when a trusted proxy sent a valid one."""
    sent = environ.get("HTTP_X_REQUEST_ID", "")
    if not isinstance(sent, str) or not _VALID_ID.fullmatch(sent):
        return None
    if not is_trusted_proxy(environ.get("REMOTE_ADDR", "")):
        return None
    return sent


def _start(*, environ: Mapping[str, Any], **kwargs: object) -> None:
    # Set here rather than in the middleware, so that the records Django's
    # handler writes after the middleware returns ("Not Found: /path")
    # carry the id too.
    request_id.set(_incoming_id(environ) or secrets.token_hex(16))


def _finish(**kwargs: object) -> None:
    request_id.set("-")


request_started.connect(_start, dispatch_uid="apoint-request-id-start")
request_finished.connect(_finish, dispatch_uid="apoint-request-id-finish")


class RequestIdMiddleware:
    """Return the request's id in X-Request-ID and log the request's outcome.

    The id is the trusted proxy's X-Request-ID when it sends one, so that
    proxy and app logs join; otherwise a new random one. The log line has
    the path without its query string, which may contain phones or openids.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        current = request_id.get()
        if current == "-":
            # Called without a request_started signal (RequestFactory).
            current = _incoming_id(request.META) or secrets.token_hex(16)
            request_id.set(current)
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = current
        logger.info(
            "%s %s %d %.1fms",
            request.method,
            request.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response
