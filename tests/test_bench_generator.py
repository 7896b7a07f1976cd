"""The benchmark generator builds the data set the load runner relies on."""

import functools
from collections import Counter

from bench.generate import (
    BENCH_PATIENT_COUNT,
    BENCH_SALESPERSON_ID,
    ORDER_COLUMNS,
    Generator,
)

SALESPERSON = ORDER_COLUMNS.index("salesperson_id")
STATUS = ORDER_COLUMNS.index("status")


@functools.cache
def generate_rows(order_count: int) -> dict[str, list[tuple]]:
    generator = Generator(order_count=order_count, backend="sqlite")
    rows: dict[str, list[tuple]] = {"orders": [], "photos": [], "events": []}
    for chunk in generator.chunks():
        rows["orders"].extend(chunk.orders)
        rows["photos"].extend(chunk.photos)
        rows["events"].extend(chunk.events)
    rows["detail"] = [(generator.detail_order_id,)]
    return rows


def test_generator_bench_salesperson_has_500_patients():
    rows = generate_rows(3000)
    patients = [
        order
        for order in rows["orders"]
        if order[SALESPERSON] == BENCH_SALESPERSON_ID and order[STATUS] != 1
    ]
    assert len(patients) == BENCH_PATIENT_COUNT


def test_generator_detail_order_photos_and_history():
    rows = generate_rows(3000)
    detail_id = rows["detail"][0][0]
    photos = Counter(photo[1] for photo in rows["photos"])
    events = Counter(event[1] for event in rows["events"])
    assert photos[detail_id] == 5
    assert events[detail_id] == 20


def test_generator_ids_unique():
    rows = generate_rows(3000)
    for name in ("orders", "photos", "events"):
        ids = [row[0] for row in rows[name]]
        assert len(ids) == len(set(ids)), name
    openids = [order[1] for order in rows["orders"]]
    assert len(openids) == len(set(openids))
