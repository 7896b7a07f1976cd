"""Fill a fresh benchmark database with a production-sized data set.

    python -m bench.generate --backend sqlite --orders 1000000

The data: the 34 provinces of the migration, 200 hospitals, 1,000
salespeople and 20 customer-service staff, and `--orders` orders with photos,
remarks, memos and history rows. One salesperson (the bench salesperson) has
exactly 500 patients, and one of them (the detail order) has 5 photos and 20
history rows. The ids the load runner needs go to bench/var/<backend>/
fixture.json.

Rows go in with executemany on SQLite and COPY on PostgreSQL, in chunks, so
that a million orders take minutes. The database is dropped and made anew
each time: the SQLite file under bench/var/, or the apoint_bench database.
"""

import argparse
import datetime
import json
import logging
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import environment

logger = logging.getLogger("bench.generate")

PROVINCE_COUNT = 34
HOSPITAL_COUNT = 200
SALESPERSON_COUNT = 1000
AGENT_COUNT = 20
BENCH_PATIENT_COUNT = 500
DETAIL_PHOTO_COUNT = 5
DETAIL_HISTORY_COUNT = 20
CHUNK_SIZE = 50_000
# The bench salesperson is staff id 1. Hospitals name staff 2..201 as their
# responsible salesperson, and other orders are spread over staff 2..1000.
BENCH_SALESPERSON_ID = 1
FIRST_AGENT_ID = SALESPERSON_COUNT + 1

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN_NAMES = "子梓浩宇欣怡若涵一诺雨轩思远嘉懿沐辰"
DESCRIPTIONS = (
    "额头红色斑块，约一厘米",
    "后颈淡红色胎记，出生即有",
    "这个天使之吻只有一毫米，但我就是不想要",
    "左脸颊褐色斑，近半年变大",
)
# Weighted statuses of the generated orders: mostly claimed and followed up,
# one in ten still unclaimed.
STATUS_WEIGHTS = {
    1: 10,
    2: 15,
    3: 12,
    4: 8,
    5: 6,
    6: 10,
    7: 6,
    8: 5,
    9: 4,
    10: 8,
    11: 4,
    12: 5,
    13: 2,
    14: 4,
    15: 1,
}
MEMO_STATUSES = {6, 11, 12, 13, 14}
UNCLAIMED = 1
CLAIMED = 2

ORDER_COLUMNS = (
    "id",
    "patient_openid",
    "name",
    "birthday",
    "sex",
    "phone",
    "province_id",
    "hospital_id",
    "want_date",
    "description",
    "status",
    "owner_id",
    "salesperson_id",
    "next_call_date",
    "submitted_at",
    "updated_at",
)
PHOTO_COLUMNS = (
    "id",
    "order_id",
    "file",
    "width",
    "height",
    "size",
    "position",
    "uploaded_at",
)
REMARK_COLUMNS = ("id", "order_id", "author_id", "author_name", "text", "created_at")
MEMO_COLUMNS = ("id", "order_id", "salesperson_id", "text", "status", "created_at")
EVENT_COLUMNS = (
    "id",
    "order_id",
    "kind",
    "staff_id",
    "user_id",
    "from_status",
    "to_status",
    "remark",
    "created_at",
)
STAFF_COLUMNS = (
    "id",
    "name",
    "phone",
    "email",
    "role",
    "openid",
    "bound_at",
    "is_active",
    "user_id",
    "created_at",
)
HOSPITAL_COLUMNS = (
    "id",
    "name",
    "province_id",
    "address",
    "salesperson_id",
    "is_active",
    "is_demo",
)


def salesperson_openid(staff_id: int) -> str:
    return f"o_bench_sales_{staff_id:06d}"


def patient_openid(order_id: int) -> str:
    return f"o_bench_patient_{order_id:08d}"


@dataclass
class Chunk:
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    photos: list[tuple[Any, ...]] = field(default_factory=list)
    remarks: list[tuple[Any, ...]] = field(default_factory=list)
    memos: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Counters:
    photo: int = 0
    remark: int = 0
    memo: int = 0
    event: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    def add(self, chunk: Chunk) -> None:
        for name in ("orders", "photos", "remarks", "memos", "events"):
            self.totals[name] = self.totals.get(name, 0) + len(getattr(chunk, name))


class Generator:
    """Build the rows; `to_db_time` adapts datetimes to the backend's driver."""

    def __init__(self, *, order_count: int, backend: str, seed: int = 7) -> None:
        if order_count < 2 * BENCH_PATIENT_COUNT:
            raise ValueError(
                f"--orders {order_count} is too small: use at least "
                f"{2 * BENCH_PATIENT_COUNT} so that the bench salesperson can "
                f"have {BENCH_PATIENT_COUNT} patients"
            )
        self.order_count = order_count
        self.backend = backend
        self.random = random.Random(seed)
        self.now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self.today = self.now.date()
        self.counters = Counters()
        self.statuses = list(STATUS_WEIGHTS)
        self.weights = list(STATUS_WEIGHTS.values())
        # Every step-th order belongs to the bench salesperson, up to 500.
        self.bench_step = order_count // BENCH_PATIENT_COUNT
        self.detail_order_id = self.bench_step  # the first bench patient
        self.hospital_province = {
            hospital_id: (hospital_id - 1) % PROVINCE_COUNT + 1
            for hospital_id in range(1, HOSPITAL_COUNT + 1)
        }

    def to_db_time(self, value: datetime.datetime) -> Any:
        if self.backend == "sqlite":
            # Django's SQLite backend stores naive UTC text.
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def to_db_bool(self, value: bool) -> Any:
        return int(value) if self.backend == "sqlite" else value

    def staff_rows(self) -> list[tuple[Any, ...]]:
        rows = []
        bound_at = self.to_db_time(self.now - datetime.timedelta(days=400))
        for staff_id in range(1, SALESPERSON_COUNT + AGENT_COUNT + 1):
            is_salesperson = staff_id <= SALESPERSON_COUNT
            rows.append(
                (
                    staff_id,
                    f"{'销售' if is_salesperson else '客服'}{staff_id:04d}",
                    f"139{staff_id:08d}",
                    "",
                    "salesperson" if is_salesperson else "customer_service",
                    salesperson_openid(staff_id) if is_salesperson else None,
                    bound_at if is_salesperson else None,
                    self.to_db_bool(True),
                    None,
                    bound_at,
                )
            )
        return rows

    def hospital_rows(self) -> list[tuple[Any, ...]]:
        return [
            (
                hospital_id,
                f"第{hospital_id}胎记医院",
                province_id,
                f"{hospital_id}号路",
                hospital_id + 1,
                self.to_db_bool(True),
                self.to_db_bool(False),
            )
            for hospital_id, province_id in self.hospital_province.items()
        ]

    def chunks(self) -> Iterator[Chunk]:
        for start in range(1, self.order_count + 1, CHUNK_SIZE):
            stop = min(start + CHUNK_SIZE, self.order_count + 1)
            chunk = Chunk()
            for order_id in range(start, stop):
                self._add_order(chunk, order_id)
            self.counters.add(chunk)
            yield chunk

    def _is_bench_patient(self, order_id: int) -> bool:
        return (
            order_id % self.bench_step == 0
            and order_id // self.bench_step <= BENCH_PATIENT_COUNT
        )

    def _add_order(self, chunk: Chunk, order_id: int) -> None:
        rng = self.random
        hospital_id = rng.randint(1, HOSPITAL_COUNT)
        submitted = self.now - datetime.timedelta(
            seconds=(self.order_count - order_id) * 90 + rng.randint(0, 60)
        )
        is_bench = self._is_bench_patient(order_id)

        status = rng.choices(self.statuses, self.weights)[0]
        if is_bench and status == UNCLAIMED:
            status = CLAIMED
        if order_id == self.detail_order_id:
            status = 6
        if status == UNCLAIMED:
            salesperson_id = owner_id = None
        else:
            salesperson_id = (
                BENCH_SALESPERSON_ID if is_bench else rng.randint(2, SALESPERSON_COUNT)
            )
            owner_id = rng.randint(FIRST_AGENT_ID, FIRST_AGENT_ID + AGENT_COUNT - 1)

        next_call = None
        if status not in {UNCLAIMED, 4, 10, 12, 14} and rng.random() < 0.3:
            next_call = (
                self.today + datetime.timedelta(days=rng.randint(0, 60))
            ).isoformat()
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES) + rng.choice(GIVEN_NAMES)
        birthday = self.today - datetime.timedelta(days=rng.randint(30, 12 * 365))
        want = submitted.date() + datetime.timedelta(days=rng.randint(1, 60))
        submitted_db = self.to_db_time(submitted)
        chunk.orders.append(
            (
                order_id,
                patient_openid(order_id),
                name,
                birthday.isoformat(),
                "male" if order_id % 2 else "female",
                f"13{order_id % 10}{order_id:08d}"[-11:],
                self.hospital_province[hospital_id],
                hospital_id,
                want.isoformat(),
                DESCRIPTIONS[order_id % len(DESCRIPTIONS)],
                status,
                owner_id,
                salesperson_id,
                next_call,
                submitted_db,
                submitted_db,
            )
        )
        self._add_photos(chunk, order_id, submitted_db)
        self._add_history(chunk, order_id, status, owner_id, salesperson_id, submitted)

    def _add_photos(self, chunk: Chunk, order_id: int, submitted_db: Any) -> None:
        is_detail = order_id == self.detail_order_id
        photo_count = DETAIL_PHOTO_COUNT if is_detail else (0, 1, 2, 1)[order_id % 4]
        for position in range(photo_count):
            self.counters.photo += 1
            chunk.photos.append(
                (
                    self.counters.photo,
                    order_id,
                    f"photos/bench-{order_id}-{position}.jpg",
                    1600,
                    1200,
                    310_000,
                    position,
                    submitted_db,
                )
            )

    def _add_history(
        self,
        chunk: Chunk,
        order_id: int,
        status: int,
        owner_id: int | None,
        salesperson_id: int | None,
        submitted: datetime.datetime,
    ) -> None:
        def event(kind: str, staff: int | None, old: int | None, new: int, at: Any):
            self.counters.event += 1
            chunk.events.append(
                (self.counters.event, order_id, kind, staff, None, old, new, "", at)
            )

        event("submitted", None, None, UNCLAIMED, self.to_db_time(submitted))
        if status == UNCLAIMED:
            return
        claimed_at = submitted + datetime.timedelta(hours=2)
        event("claimed", owner_id, UNCLAIMED, CLAIMED, self.to_db_time(claimed_at))
        self.counters.remark += 1
        chunk.remarks.append(
            (
                self.counters.remark,
                order_id,
                owner_id,
                f"客服{owner_id:04d}",
                "已电话联系家长，确认就诊意向",
                self.to_db_time(claimed_at),
            )
        )
        if order_id == self.detail_order_id:
            # 2 rows so far; 18 status changes make the 20 history rows.
            for step in range(DETAIL_HISTORY_COUNT - 2):
                at = self.to_db_time(claimed_at + datetime.timedelta(days=step + 1))
                old, new = (CLAIMED, 5) if step % 2 == 0 else (5, CLAIMED)
                if step == DETAIL_HISTORY_COUNT - 3:
                    new = status
                event("status", owner_id, old, new, at)
            return
        if status == CLAIMED:
            return
        changed_at = self.to_db_time(claimed_at + datetime.timedelta(days=3))
        staff = salesperson_id if status in MEMO_STATUSES else owner_id
        event("status", staff, CLAIMED, status, changed_at)
        if status in MEMO_STATUSES:
            self.counters.memo += 1
            chunk.memos.append(
                (
                    self.counters.memo,
                    order_id,
                    salesperson_id,
                    "已与家长沟通",
                    status,
                    changed_at,
                )
            )


def recreate_database(backend: str) -> None:
    """Drop the benchmark database and make an empty one."""
    backend_dir = environment.backend_dir(backend)
    if backend_dir.exists():
        shutil.rmtree(backend_dir)
    backend_dir.mkdir(parents=True)
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            path = environment.SQLITE_PATH.with_name(
                environment.SQLITE_PATH.name + suffix
            )
            path.unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(
        host=environment.POSTGRES_HOST,
        port=environment.POSTGRES_PORT,
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as connection:
        name = environment.POSTGRES_DATABASE
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


class Writer:
    """Insert rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection: Any, vendor: str) -> None:
        self.connection = connection
        self.vendor = vendor

    def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.vendor == "postgresql":
            raw = self.connection.connection
            statement = f"COPY {table} ({names}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join("?" for _ in columns)
        raw = self.connection.connection
        # Table and column names are this module's constants, never input.
        statement = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        raw.executemany(statement, rows)


def reset_sequences(connection: Any) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the highest inserted id.
    tables = (
        "apoint_staffmember",
        "apoint_hospital",
        "apoint_order",
        "apoint_orderphoto",
        "apoint_remark",
        "apoint_memo",
        "apoint_orderevent",
    )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def bench_session_key(openid: str) -> str:
    """Store a session carrying `openid`, as WeChat sign-in does, and return its key."""
    from django.contrib.sessions.backends.db import SessionStore

    from apoint.identity import SESSION_OPENID_KEY

    session = SessionStore()
    session[SESSION_OPENID_KEY] = openid
    session.set_expiry(30 * 24 * 3600)
    session.create()
    assert session.session_key is not None
    return session.session_key


def generate(backend: str, order_count: int) -> dict[str, Any]:
    """Make the database anew, fill it and return the fixture written for the runner."""
    started = time.monotonic()
    recreate_database(backend)
    os.environ.update(environment.server_environment(backend))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    generator = Generator(order_count=order_count, backend=backend)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # A bulk load of disposable data: the server itself runs with
        # synchronous=FULL, set again on each of its connections.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-200000")
    else:
        with connection.cursor() as cursor:
            # Disposable data again: no wait for the WAL flush at each
            # commit, and no foreign-key trigger per row (the generator
            # writes consistent ids; this needs a superuser).
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET session_replication_role = replica")
    writer = Writer(connection, connection.vendor)
    with transaction.atomic():
        writer.insert("apoint_staffmember", STAFF_COLUMNS, generator.staff_rows())
        writer.insert("apoint_hospital", HOSPITAL_COLUMNS, generator.hospital_rows())
    for number, chunk in enumerate(generator.chunks(), start=1):
        with transaction.atomic():
            writer.insert("apoint_order", ORDER_COLUMNS, chunk.orders)
            writer.insert("apoint_orderphoto", PHOTO_COLUMNS, chunk.photos)
            writer.insert("apoint_remark", REMARK_COLUMNS, chunk.remarks)
            writer.insert("apoint_memo", MEMO_COLUMNS, chunk.memos)
            writer.insert("apoint_orderevent", EVENT_COLUMNS, chunk.events)
        if number % 4 == 0:
            logger.info(
                "%s: %d orders in %.0f s",
                backend,
                generator.counters.totals["orders"],
                time.monotonic() - started,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
    reset_sequences(connection)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    fixture = {
        "backend": backend,
        "orders": order_count,
        "rows": generator.counters.totals,
        "salesperson_openid": salesperson_openid(BENCH_SALESPERSON_ID),
        "session_key": bench_session_key(salesperson_openid(BENCH_SALESPERSON_ID)),
        "bench_patients": BENCH_PATIENT_COUNT,
        "detail_order_id": generator.detail_order_id,
        "myorder_openid": patient_openid(order_count // 2),
        "search_name": SURNAMES[0],
        "submit_province_id": generator.hospital_province[1],
        "submit_hospital_id": 1,
        "generate_seconds": round(time.monotonic() - started, 1),
    }
    environment.fixture_path(backend).write_text(json.dumps(fixture, indent=2))
    return fixture


def generate_in_subprocess(backend: str, order_count: int) -> dict[str, Any]:
    """Run the generator in its own process, which sets up Django for `backend`."""
    import subprocess

    subprocess.run(
        [
            *(sys.executable, "-m", "bench.generate"),
            *("--backend", backend, "--orders", str(order_count)),
        ],
        cwd=environment.REPO_DIR,
        check=True,
    )
    return json.loads(environment.fixture_path(backend).read_text())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=environment.BACKENDS, default="sqlite")
    parser.add_argument(
        "--orders",
        type=int,
        default=1_000_000,
        help="number of orders to generate (default 1,000,000; at least 1,000)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        fixture = generate(args.backend, args.orders)
    except ValueError as error:
        parser.error(str(error))
    logger.info(
        "%s: %s in %.0f s",
        args.backend,
        fixture["rows"],
        fixture["generate_seconds"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
