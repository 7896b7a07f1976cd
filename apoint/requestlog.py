"""Request ids: one per request, in every log record and in X-Request-ID."""

import logging
import re
import secrets
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apoint.identity import is_trusted_proxy
from apoint.logcontext import request_id

logger = logging.getLogger(__name__)

HEADER = "X-Request-ID"
# Accepted form of a proxy's request id (nginx's $request_id is 32 hex digits).
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _incoming_id(request: HttpRequest) -> str | None:
    """Return the proxy's request id, when a trusted proxy sent a valid one."""
    sent = request.META.get("HTTP_X_REQUEST_ID", "")
    if not sent or not _VALID_ID.fullmatch(sent):
        return None
    if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
        return None
    return sent


class RequestIdMiddleware:
    """Give each request an id, log its outcome and return the id.

    The id is the trusted proxy's X-Request-ID when it sends one, so that
    proxy and app logs join; otherwise a new random one. The log line has
    the path without its query string, which may hold phones or openids.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        current = _incoming_id(request) or secrets.token_hex(16)
        token = request_id.set(current)
        started = time.monotonic()
        try:
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
        finally:
            request_id.reset(token)
