"""Load-test every endpoint against a production-mode server on 127.0.0.1.

    python -m bench.run                      # what `make bench` runs
    python -m bench.run --orders 20000 --duration 3 --backends sqlite

For each backend (SQLite; PostgreSQL with Redis) it generates the data set
(bench/generate.py), starts granian on bench.wsgi with APOINT_MODE=production
and DEBUG off, checks that each endpoint returns ret 0 with the expected
rows, then runs wrk (bench/lua/bench.lua) for a fixed time per endpoint and
reads the server processes' CPU time and RSS from /proc. On the first backend
it also tries several granian worker and thread counts and gunicorn, to
choose the server. Results go to bench/results/<time>/ as JSON and Markdown.

Load goes only to 127.0.0.1 ports from PORT_FIRST to PORT_LAST, on servers
this script starts and stops itself.
"""

import argparse
import datetime
import json
import logging
import os
import platform
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import environment, generate
from bench.photo import write_phone_photo
from bench.servers import Sampler, Server, ServerConfig, cpu_seconds, get

logger = logging.getLogger("bench.run")

PORT_FIRST = 18700
PORT_LAST = 18799
LUA_SCRIPT = environment.BENCH_DIR / "lua" / "bench.lua"
WRK = "/usr/bin/wrk"
WRK_THREADS = 2
WRK_TIMEOUT = "10s"
UPLOAD_CONNECTIONS = 8
# Candidate granian layouts (workers, blocking threads per worker) and
# gunicorn layouts (workers, threads; more than one thread is gthread).
GRANIAN_CANDIDATES = ((1, 1), (2, 1), (2, 2), (2, 4), (3, 2), (4, 1))
GUNICORN_CANDIDATES = ((2, 1), (4, 1), (2, 4))
SWEEP_ENDPOINTS = ("django_floor", "mypatien")
GUNICORN_ENDPOINTS = ("bare_wsgi", "django_floor", "mypatien")


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    method: str = "GET"
    expect: str = "ret"
    session: bool = False  # send the bench salesperson's session cookie
    body: str | None = None
    content_type: str | None = None
    upload: bool = False
    connections: int | None = None  # None: the run's --connections


def endpoints(fixture: dict[str, Any]) -> list[Endpoint]:
    today = datetime.date.today()
    submit_body = urllib.parse.urlencode(
        {
            "name": "测试患者",
            "openid": "__OPENID__",
            "birthday": "2020-05-01",
            "sex": "女",
            "phone": "13912345678",
            "area": fixture["submit_province_id"],
            "wantTime": (today + datetime.timedelta(days=7)).isoformat(),
            "hospital": fixture["submit_hospital_id"],
            "description": "额头红色斑块，约一厘米",
            "photo": "[]",
        }
    )
    form = "application/x-www-form-urlencoded"
    search = urllib.parse.quote(fixture["search_name"])
    return [
        Endpoint("bare_wsgi", "/bench/bare/"),
        Endpoint("django_floor", "/api/bench/floor/"),
        Endpoint("ninja_floor", "/api/bench/ninja/"),
        Endpoint("province", "/api/apoint/province/"),
        Endpoint("hospital", "/api/apoint/hospital/"),
        Endpoint("fast_path", "/api/bench/fastpath/", session=True),
        Endpoint("mypatien", "/api/apoint/mypatien/", session=True),
        Endpoint("patsearch", f"/api/apoint/patsearch/?name={search}", session=True),
        Endpoint(
            "patientsdetail",
            f"/api/apoint/patientsdetail/?id={fixture['detail_order_id']}",
            session=True,
        ),
        Endpoint("myorder", f"/api/apoint/myorder/?openid={fixture['myorder_openid']}"),
        Endpoint(
            "ordersubmit",
            "/api/apoint/ordersubmit/",
            method="POST",
            body=submit_body,
            content_type=form,
        ),
        Endpoint(
            "scrfcode",
            "/api/apoint/scrfcode/",
            method="POST",
            body="phone=__PHONE__",
            content_type=form,
        ),
        Endpoint(
            "upload",
            "/api/apoint/upload/",
            method="POST",
            expect="result",
            upload=True,
            connections=UPLOAD_CONNECTIONS,
        ),
    ]


class Ports:
    def __init__(self) -> None:
        self.next = PORT_FIRST

    def take(self) -> int:
        if self.next > PORT_LAST:
            raise RuntimeError(f"no bench port left in {PORT_FIRST}-{PORT_LAST}")
        port = self.next
        self.next += 1
        return port


class Bench:
    def __init__(self, args: argparse.Namespace, results_dir: Path) -> None:
        self.args = args
        self.results_dir = results_dir
        self.ports = Ports()
        self.photo = write_phone_photo(environment.VAR_DIR / "phone-photo.jpg")
        self.run_tag = int(time.time()) % 10_000_000

    # ---- one wrk run -------------------------------------------------------

    def wrk(
        self,
        server: Server,
        endpoint: Endpoint,
        fixture: dict[str, Any],
        duration: float,
    ) -> dict[str, Any]:
        connections = endpoint.connections or self.args.connections
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        env["BENCH_METHOD"] = endpoint.method
        env["BENCH_EXPECT"] = endpoint.expect
        self.run_tag = (self.run_tag + 1_000_003) % 100_000_000
        env["BENCH_RUN_TAG"] = str(self.run_tag)
        if endpoint.session:
            env["BENCH_COOKIE"] = f"sessionid={fixture['session_key']}"
        if endpoint.body is not None:
            env["BENCH_BODY"] = endpoint.body
        if endpoint.content_type:
            env["BENCH_CONTENT_TYPE"] = endpoint.content_type
        if endpoint.upload:
            env["BENCH_FILE"] = str(self.photo)
        command = [
            WRK,
            f"--threads={min(WRK_THREADS, connections)}",
            f"--connections={connections}",
            f"--duration={max(1, round(duration))}s",
            f"--timeout={WRK_TIMEOUT}",
            f"--script={LUA_SCRIPT}",
            f"http://127.0.0.1:{server.port}{endpoint.path}",
        ]
        output = subprocess.run(
            command, env=env, capture_output=True, text=True, check=True
        ).stdout
        for line in output.splitlines():
            if line.startswith("BENCH_RESULT "):
                return json.loads(line.removeprefix("BENCH_RESULT "))
        raise RuntimeError(f"wrk printed no BENCH_RESULT line:\n{output}")

    def measure(
        self,
        server: Server,
        endpoint: Endpoint,
        fixture: dict[str, Any],
        duration: float,
    ) -> dict[str, Any]:
        """Warm up, then run wrk once, with CPU time and RSS of the server."""
        if self.args.warmup > 0:
            self.wrk(server, endpoint, fixture, self.args.warmup)
        pids = server.pids()
        orders_before = settled_order_count(server.backend)
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        with Sampler(pids) as sampler:
            raw = self.wrk(server, endpoint, fixture, duration)
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        orders_after = settled_order_count(server.backend)
        seconds = raw["duration_us"] / 1e6
        requests = raw["requests"]
        socket_errors = sum(
            raw[key]
            for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
        )
        result = {
            "endpoint": endpoint.name,
            "server": server.config.label,
            "backend": server.backend,
            "connections": endpoint.connections or self.args.connections,
            "requests": requests,
            "rps": round(requests / seconds, 1) if seconds else 0.0,
            "p50_ms": raw["p50_us"] / 1000,
            "p90_ms": raw["p90_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000,
            "non_2xx": raw["non_2xx"],
            "ret_errors": raw["ret_errors"],
            "socket_errors": socket_errors,
            "peak_rss_mib": round(max(sampler.peaks.values(), default=0) / 2**20, 1),
            "cpu_ms_per_request": round(1000 * cpu / requests, 3) if requests else 0,
            "orders_created": orders_after - orders_before,
            "ok": raw["ok"],
        }
        logger.info(
            "%s %s %s: %.0f req/s p50 %.1f ms p99 %.1f ms errors %d",
            server.backend,
            server.config.label,
            endpoint.name,
            result["rps"],
            result["p50_ms"],
            result["p99_ms"],
            result["non_2xx"] + result["ret_errors"] + socket_errors,
        )
        return result

    # ---- phases ------------------------------------------------------------

    def server(self, config: ServerConfig, backend: str) -> Server:
        log = self.results_dir / f"server-{backend}-{config.kind}.log"
        return Server(config, backend, self.ports.take(), log)

    def sweep(
        self, backend: str, fixture: dict[str, Any], by_name: dict[str, Endpoint]
    ) -> list[dict[str, Any]]:
        results = []
        for kind, candidates, names in (
            ("granian", GRANIAN_CANDIDATES, SWEEP_ENDPOINTS),
            ("gunicorn", GUNICORN_CANDIDATES, GUNICORN_ENDPOINTS),
        ):
            for workers, threads in candidates:
                config = ServerConfig(kind, workers, threads)
                with self.server(config, backend) as server:
                    for name in names:
                        results.append(
                            self.measure(
                                server,
                                by_name[name],
                                fixture,
                                self.args.sweep_duration,
                            )
                        )
        return results

    def run_backend(self, backend: str, sweep: bool) -> dict[str, Any]:
        fixture_file = environment.fixture_path(backend)
        fixture = None
        if self.args.reuse and fixture_file.exists():
            fixture = json.loads(fixture_file.read_text())
            if fixture.get("orders") != self.args.orders:
                fixture = None
        if fixture is None:
            clear_redis_prefix(backend)
            fixture = generate.generate_in_subprocess(backend, self.args.orders)
        clear_redis_prefix(backend)
        all_endpoints = endpoints(fixture)
        by_name = {endpoint.name: endpoint for endpoint in all_endpoints}
        report: dict[str, Any] = {"fixture": fixture}
        if sweep:
            report["sweep"] = self.sweep(backend, fixture, by_name)
        config = ServerConfig("granian", self.args.workers, self.args.threads)
        with self.server(config, backend) as server:
            check_endpoints(server, fixture)
            report["endpoints"] = [
                self.measure(server, endpoint, fixture, self.args.duration)
                for endpoint in all_endpoints
            ]
        report["upload_processing"] = upload_processing(backend, self.photo)
        report["durability"] = sqlite_synchronous(backend)
        clean_media(backend)
        return report


# ---- checks and helpers ------------------------------------------------------


def check_endpoints(server: Server, fixture: dict[str, Any]) -> None:
    """Raise before any load if an endpoint does not respond as the bench expects."""
    cookie = {"Cookie": f"sessionid={fixture['session_key']}"}
    expected_rows = fixture["bench_patients"]
    for path, headers in (
        ("/api/apoint/province/", {}),
        ("/api/apoint/hospital/", {}),
        ("/api/apoint/mypatien/", cookie),
        ("/api/bench/fastpath/", cookie),
        (f"/api/apoint/patientsdetail/?id={fixture['detail_order_id']}", cookie),
        (f"/api/apoint/myorder/?openid={fixture['myorder_openid']}", {}),
    ):
        status, body = get(server.port, path, headers)
        data = json.loads(body)
        if status != 200 or data.get("ret") != 0:
            raise RuntimeError(f"{path} responded {status} {body[:200]!r}")
        is_list = path.endswith(("mypatien/", "fastpath/"))
        if is_list and len(data["lister"]) != expected_rows:
            raise RuntimeError(
                f"{path} returned {len(data['lister'])} rows, expected {expected_rows}"
            )
        if "patientsdetail" in path:
            photos, history = len(data["data"]["photo"]), len(data["data"]["history"])
            if (photos, history) != (5, 20):
                raise RuntimeError(
                    f"detail order has {photos} photos and {history} history rows, "
                    "expected 5 and 20"
                )
    _, fast = get(server.port, "/api/bench/fastpath/", cookie)
    _, real = get(server.port, "/api/apoint/mypatien/", cookie)
    if fast != real:
        raise RuntimeError("the fast path and mypatien returned different bodies")


def count_orders(backend: str) -> int:
    if backend == "sqlite":
        with sqlite3.connect(environment.SQLITE_PATH, timeout=30) as connection:
            return connection.execute("SELECT count(*) FROM apoint_order").fetchone()[0]
    import psycopg

    with psycopg.connect(environment.POSTGRES_URL) as connection:
        row = connection.execute("SELECT count(*) FROM apoint_order").fetchone()
        assert row is not None
        return int(row[0])


def settled_order_count(backend: str) -> int:
    """Count orders once the requests still in flight after wrk stopped are done.

    wrk stops reading at the end of its run, but the server finishes the
    requests it has, so a few orders may commit after the last counted
    response: those are extra rows, never lost ones.
    """
    count = count_orders(backend)
    for _ in range(50):
        time.sleep(0.3)
        again = count_orders(backend)
        if again == count:
            return count
        count = again
    return count


def sqlite_synchronous(backend: str) -> dict[str, Any]:
    """Read the journal mode and synchronous level that the server's settings set."""
    if backend != "sqlite":
        return {}
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], "
        "c.execute('PRAGMA synchronous').fetchone()[0])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=environment.server_environment(backend),
        cwd=environment.REPO_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    return {"journal_mode": output[0], "synchronous": int(output[1])}


def upload_processing(backend: str, photo: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.upload_timing", str(photo)],
        env=environment.server_environment(backend),
        cwd=environment.REPO_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def clean_media(backend: str) -> None:
    photos = environment.backend_dir(backend) / "media" / "photos"
    for path in photos.glob("*"):
        path.unlink()


def clear_redis_prefix(backend: str) -> None:
    """Delete the bench's own keys (its prefix, database 7) before a run."""
    if backend != "postgres":
        return
    import redis

    client = redis.Redis.from_url(environment.REDIS_URL, socket_timeout=5)
    pattern = f"{environment.CACHE_KEY_PREFIX}:*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


def machine_info() -> dict[str, Any]:
    def command(*args: str) -> str:
        try:
            result = subprocess.run(args, capture_output=True, text=True, timeout=20)
        except OSError as error:
            return f"failed: {error}"
        return (result.stdout or result.stderr).strip()

    versions = command(
        str(environment.REPO_DIR / ".venv" / "bin" / "pip"),
        "freeze",
    ).splitlines()
    wanted = (
        *("django=", "django-ninja=", "granian=", "gunicorn=", "orjson="),
        *("pillow=", "psycopg=", "redis=", "pydantic="),
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": command("nproc"),
        "free": command("free", "-h"),
        "uname": command("uname", "-a"),
        "uptime": command("uptime"),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": command(WRK, "-v").splitlines()[0],
        "packages": [line for line in versions if line.lower().startswith(wanted)],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends",
        default="sqlite,postgres",
        help="comma-separated backends to run: sqlite, postgres (default both)",
    )
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="orders to generate"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a generated database with the same --orders instead of "
        "generating it again",
    )
    parser.add_argument(
        "--duration", type=float, default=8, help="seconds of load per endpoint"
    )
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of unmeasured load first"
    )
    parser.add_argument(
        "--sweep-duration",
        type=float,
        default=5,
        help="seconds per endpoint when comparing server layouts",
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the comparison")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_WORKERS", "2")),
        help="granian worker processes of the main run (default $WEB_WORKERS or 2)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("WEB_THREADS", "2")),
        help="granian blocking threads per worker (default $WEB_THREADS or 2)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    for backend in backends:
        if backend not in environment.BACKENDS:
            parser.error(f"unknown backend {backend!r}: use sqlite or postgres")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    results_dir = environment.RESULTS_DIR / stamp
    results_dir.mkdir(parents=True)
    bench = Bench(args, results_dir)
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
        "arguments": vars(args),
        "machine": machine_info(),
        "backends": {},
    }
    for index, backend in enumerate(backends):
        results["backends"][backend] = bench.run_backend(
            backend, sweep=index == 0 and not args.no_sweep
        )
    results["machine"]["uptime_after"] = machine_info()["uptime"]
    (results_dir / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False)
    )
    from bench.report import render

    markdown = render(results)
    (results_dir / "results.md").write_text(markdown)
    print(markdown)
    logger.info("results in %s", results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
