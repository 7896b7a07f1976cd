"""A Redis cache that treats an unreachable server as a cache miss.

The cache holds only what the database can rebuild (list versions,
prepared bodies), so a Redis outage should slow pages down, not fail them.
Rate limits do not go through this class: `apoint.ratelimit` talks to Redis
directly and fails closed.
"""

import logging
import threading
import time
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

# At most one warning per this many seconds, with the count of the others.
WARNING_INTERVAL_SECONDS = 10.0


class _ErrorLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_logged = 0.0
        self._suppressed = 0

    def record(self, operation: str, error: redis.RedisError) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_logged < WARNING_INTERVAL_SECONDS:
                self._suppressed += 1
                return
            suppressed, self._suppressed = self._suppressed, 0
            self._last_logged = now
        logger.warning(
            "cache %s failed, treated as a miss (%d similar errors not logged): %s",
            operation,
            suppressed,
            error,
        )


_errors = _ErrorLog()


class FailSoftRedisCache(RedisCache):
    """Django's RedisCache; reads miss and writes are skipped on Redis errors.

    `incr`, `decr` and `clear` still raise, because a caller that counts
    needs to know the count was not kept.
    """

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except redis.RedisError as error:
            _errors.record("get", error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except redis.RedisError as error:
            _errors.record("get_many", error)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except redis.RedisError as error:
            _errors.record("has_key", error)
            return False

    def set(
        self,
        key: Any,
        value: Any,
        timeout: Any = ...,
        version: int | None = None,
    ) -> None:
        try:
            if timeout is ...:
                super().set(key, value, version=version)
            else:
                super().set(key, value, timeout, version)
        except redis.RedisError as error:
            _errors.record("set", error)

    def add(
        self,
        key: Any,
        value: Any,
        timeout: Any = ...,
        version: int | None = None,
    ) -> bool:
        try:
            if timeout is ...:
                return super().add(key, value, version=version)
            return super().add(key, value, timeout, version)
        except redis.RedisError as error:
            _errors.record("add", error)
            return False

    def set_many(
        self, data: dict[Any, Any], timeout: Any = ..., version: int | None = None
    ) -> list[Any]:
        try:
            if timeout is ...:
                return super().set_many(data, version=version)
            return super().set_many(data, timeout, version)
        except redis.RedisError as error:
            _errors.record("set_many", error)
            return list(data)

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except redis.RedisError as error:
            _errors.record("delete", error)
            return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except redis.RedisError as error:
            _errors.record("delete_many", error)

    def touch(self, key: Any, timeout: Any = ..., version: int | None = None) -> bool:
        try:
            if timeout is ...:
                return super().touch(key, version=version)
            return super().touch(key, timeout, version)
        except redis.RedisError as error:
            _errors.record("touch", error)
            return False
