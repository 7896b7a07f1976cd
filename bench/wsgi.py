"""The benchmark's WSGI entry point: Django, plus the bare WSGI floor.

A request for BARE_PATH gets a fixed JSON body without entering Django, so
that the bare floor runs on the same server process and settings as the API.
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

BARE_PATH = "/bench/bare/"
BARE_BODY = b'{"ret":0,"msg":"success"}'
BARE_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(BARE_BODY))),
]

django_application = get_wsgi_application()


def application(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == BARE_PATH:
        start_response("200 OK", BARE_HEADERS)
        return [BARE_BODY]
    return django_application(environ, start_response)
