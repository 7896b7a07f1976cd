from apoint import catalog
from apoint.models import Hospital


def test_lists_rebuilt_after_max_age(hospital, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(catalog.time, "monotonic", lambda: clock[0])
    prepared = catalog.PreparedBodies()
    before = prepared.get("hospital")
    # A change the version never heard of, as when the cache was down.
    Hospital.objects.filter(pk=hospital.pk).update(name="改名医院")
    clock[0] += catalog.CHECK_INTERVAL_SECONDS + 1
    assert prepared.get("hospital") == before
    clock[0] += catalog.MAX_AGE_SECONDS
    assert "改名医院".encode() in prepared.get("hospital")
