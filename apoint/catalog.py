"""Province and hospital lists, served as prepared JSON bytes.

The lists change a few times a year and are read on every booking, so each
worker keeps the encoded bytes and checks a shared version number at most
once a second. A saved or deleted province or hospital bumps the version
after commit, so every worker rebuilds within a second. QuerySet.update()
sends no signal: code that bulk-updates these tables calls `lists_changed`.
"""

import threading
import time

import orjson
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from apoint.models import Hospital, Province

VERSION_KEY = "catalog-version"
CHECK_INTERVAL_SECONDS = 1.0
# Bodies are rebuilt after this long even when the version has not changed,
# because a change made while the cache was down never bumped it.
MAX_AGE_SECONDS = 300.0


def _encode(lister: list[dict[str, object]]) -> bytes:
    return orjson.dumps({"ret": 0, "msg": "success", "lister": lister})


def build_bodies() -> dict[str, bytes]:
    """Encode the province list, the hospital list and one per province."""
    provinces = list(Province.objects.order_by("id").values_list("id", "name"))
    hospitals = list(
        Hospital.objects.filter(is_active=True)
        .order_by("province_id", "name", "id")
        .values_list("id", "name", "province_id")
    )
    bodies = {
        "province": _encode([{"id": id_, "area": name} for id_, name in provinces]),
        "hospital": _encode(
            [{"id": id_, "hospits": name} for id_, name, _ in hospitals]
        ),
    }
    for province_id, _ in provinces:
        bodies[f"hospital:{province_id}"] = _encode(
            [
                {"id": id_, "hospits": name}
                for id_, name, in_province in hospitals
                if in_province == province_id
            ]
        )
    return bodies


class PreparedBodies:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies: dict[str, bytes] | None = None
        self._version: object = None
        self._checked_at = 0.0
        self._built_at = 0.0

    def get(self, key: str) -> bytes | None:
        now = time.monotonic()
        if now - self._checked_at > CHECK_INTERVAL_SECONDS:
            version = cache.get(VERSION_KEY)
            with self._lock:
                if version != self._version or now - self._built_at > MAX_AGE_SECONDS:
                    self._bodies = None
                    self._version = version
                self._checked_at = now
        bodies = self._bodies
        if bodies is None:
            bodies = build_bodies()
            with self._lock:
                self._bodies = bodies
                self._built_at = now
        return bodies.get(key)

    def clear(self) -> None:
        with self._lock:
            self._bodies = None
            self._checked_at = 0.0


prepared = PreparedBodies()


def province_list_json() -> bytes:
    body = prepared.get("province")
    assert body is not None
    return body


def hospital_list_json(province_id: int | None) -> bytes | None:
    """Return the hospital list, or None for a province that does not exist."""
    return prepared.get(
        "hospital" if province_id is None else f"hospital:{province_id}"
    )


def _bump_version() -> None:
    cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    prepared.clear()


def lists_changed() -> None:
    transaction.on_commit(_bump_version)


def _on_change(**kwargs: object) -> None:
    lists_changed()


for _model in (Province, Hospital):
    post_save.connect(_on_change, sender=_model, dispatch_uid=f"catalog-save-{_model}")
    post_delete.connect(_on_change, sender=_model, dispatch_uid=f"catalog-del-{_model}")
