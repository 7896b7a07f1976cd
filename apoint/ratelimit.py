"""Fixed-window counters that every worker process shares.

With a Redis cache the counters are Redis keys with atomic increments;
otherwise they are rows of RateCounter, updated inside one transaction.
"""

import datetime
import logging
import math
import threading
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apoint.models import RateCounter

logger = logging.getLogger(__name__)

# One client (and its connection pool) per Redis URL, shared by all threads.
# The lock matters: a client that loses a creation race is collected, and
# redis-py then disconnects its pool under the thread still using it.
_redis_clients: dict[str, redis.Redis] = {}
_redis_clients_lock = threading.Lock()


class CounterUnavailable(Exception):
    """Redis did not respond, so the request must be rejected."""


@dataclass(frozen=True)
class Hit:
    count: int
    retry_after: int  # seconds until the window ends


def hit(key: str, window_seconds: int) -> Hit:
    """Count one event under `key` and return the count in its window.

    The window starts at the first event and lasts `window_seconds`.
    Raises CounterUnavailable when Redis does not respond, so that a limit
    is never skipped because it could not be counted.
    """
    if settings.REDIS_URL:
        try:
            return _hit_redis(key, window_seconds)
        except redis.RedisError as error:
            # The key's first part names the limit; the rest is a phone or
            # an address and stays out of the log.
            logger.error(
                "rate counter %s not counted, Redis failed: %s",
                key.partition(":")[0],
                error,
            )
            raise CounterUnavailable(str(error)) from error
    return _hit_database(key, window_seconds)


def _redis_client() -> redis.Redis:
    url = settings.REDIS_URL
    with _redis_clients_lock:
        client = _redis_clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url, socket_timeout=2, socket_connect_timeout=2
            )
            _redis_clients[url] = client
    return client


def _hit_redis(key: str, window_seconds: int) -> Hit:
    name = f"{settings.CACHE_KEY_PREFIX}:ratelimit:{key}"
    # INCR, then EXPIRE NX (Redis 7+) sets the window only on its first event;
    # MULTI makes the three one atomic step.
    pipeline = _redis_client().pipeline(transaction=True)
    pipeline.incr(name)
    pipeline.expire(name, window_seconds, nx=True)
    pipeline.ttl(name)
    count, _, ttl = pipeline.execute()
    return Hit(int(count), max(int(ttl), 1))


def _hit_database(key: str, window_seconds: int) -> Hit:
    now = timezone.now()
    for _ in range(3):
        try:
            with transaction.atomic():
                updated = RateCounter.objects.filter(
                    key=key, expires_at__gt=now
                ).update(count=F("count") + 1)
                if updated:
                    counter = RateCounter.objects.get(key=key)
                    seconds = (counter.expires_at - now).total_seconds()
                    return Hit(counter.count, max(math.ceil(seconds), 1))
                # Only an expired row, because under READ COMMITTED this
                # statement's snapshot includes a live row that another
                # process committed after the UPDATE above. Deleting that
                # row would restart the window.
                RateCounter.objects.filter(key=key, expires_at__lte=now).delete()
                RateCounter.objects.create(
                    key=key,
                    count=1,
                    expires_at=now + datetime.timedelta(seconds=window_seconds),
                )
                return Hit(1, window_seconds)
        except IntegrityError:
            # Another process opened the window first; count in it.
            logger.info(
                "rate counter %s opened by another process, retrying",
                key.partition(":")[0],
            )
            continue
    raise RuntimeError(f"rate counter {key!r} kept changing under three tries")


def purge_expired() -> int:
    deleted, _ = RateCounter.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
