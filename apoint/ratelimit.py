"""Fixed-window counters that every worker process shares.

With a Redis cache the counters are Redis keys with atomic increments;
otherwise they are rows of RateCounter, updated inside one transaction.
"""

import datetime
import math
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apoint.models import RateCounter

_redis: redis.Redis | None = None


@dataclass(frozen=True)
class Hit:
    count: int
    retry_after: int  # seconds until the window ends


def hit(key: str, window_seconds: int) -> Hit:
    """Count one event under `key` and return the count in its window.

    The window starts at the first event and lasts `window_seconds`.
    """
    if settings.REDIS_URL:
        return _hit_redis(key, window_seconds)
    return _hit_database(key, window_seconds)


def _redis_client() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return _redis


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
                RateCounter.objects.filter(key=key).delete()
                RateCounter.objects.create(
                    key=key,
                    count=1,
                    expires_at=now + datetime.timedelta(seconds=window_seconds),
                )
                return Hit(1, window_seconds)
        except IntegrityError:
            # Another process opened the window first; count in it.
            continue
    raise RuntimeError(f"rate counter {key!r} kept changing under three tries")


def purge_expired() -> int:
    deleted, _ = RateCounter.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
