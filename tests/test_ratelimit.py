import datetime
import os

import pytest
import time_machine

from apoint import ratelimit
from apoint.models import RateCounter

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(settings):
    settings.REDIS_URL = ""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_database_counter_counts_in_window(db, clock):
    assert ratelimit.hit("k", 60) == ratelimit.Hit(1, 60)
    clock.shift(20)
    assert ratelimit.hit("k", 60) == ratelimit.Hit(2, 40)
    assert RateCounter.objects.get(key="k").count == 2


def test_database_counter_restarts_after_window(db, clock):
    ratelimit.hit("k", 60)
    ratelimit.hit("k", 60)
    clock.shift(60)
    assert ratelimit.hit("k", 60) == ratelimit.Hit(1, 60)


def test_database_counter_purges_expired(db, clock):
    ratelimit.hit("old", 10)
    ratelimit.hit("live", 100)
    clock.shift(11)
    assert ratelimit.purge_expired() == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["live"]


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set")
def test_redis_counter_counts_in_window(db, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    ratelimit._redis = None
    key = f"test-{os.getpid()}"
    client = ratelimit._redis_client()
    client.delete(f"{settings.CACHE_KEY_PREFIX}:ratelimit:{key}")
    first = ratelimit.hit(key, 60)
    second = ratelimit.hit(key, 60)
    assert first.count == 1
    assert second.count == 2
    assert 0 < second.retry_after <= 60
    assert RateCounter.objects.count() == 0
    client.delete(f"{settings.CACHE_KEY_PREFIX}:ratelimit:{key}")
