"""`/healthz`: whether this app server can reach what it depends on."""

import logging
import secrets

import orjson
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis import RedisError

from apoint.errors import MSG_SUCCESS, Ret
from apoint.storage import StorageUnavailable, storage_check

logger = logging.getLogger(__name__)

HEALTH_KEY = "healthz"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    """Write and read back a random value.

    The cache backend is Django's own; the fail-soft Redis backend turns
    errors into misses, so a value that does not come back is a failure.
    """
    value = secrets.token_hex(8)
    cache.set(HEALTH_KEY, value, timeout=30)
    if cache.get(HEALTH_KEY) != value:
        raise RedisError("the value written was not read back")


CHECKS = {
    "database": (check_database, (DatabaseError,)),
    "cache": (check_cache, (RedisError, DatabaseError)),
    "storage": (lambda: storage_check(default_storage), (StorageUnavailable,)),
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Run every check; return 200, or 503 naming each failed dependency."""
    results: dict[str, str] = {}
    for name, (check, errors) in CHECKS.items():
        try:
            check()
        except errors as error:
            logger.error("health check %s failed: %s", name, error)
            results[name] = "failed"
        else:
            results[name] = "ok"
    failed = [name for name, result in results.items() if result != "ok"]
    if failed:
        body = {
            "ret": Ret.UNAVAILABLE.value,
            "msg": f"unavailable: {', '.join(failed)}",
            "failed": failed,
            "checks": results,
        }
        status = 503
    else:
        body = {"ret": Ret.OK.value, "msg": MSG_SUCCESS, "checks": results}
        status = 200
    return HttpResponse(
        orjson.dumps(body), content_type="application/json", status=status
    )
