"""Start and stop the benchmark's servers and read their processes' /proc stats."""

import http.client
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import environment

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15
SAMPLE_INTERVAL_SECONDS = 0.1


@dataclass(frozen=True)
class ServerConfig:
    kind: str  # "granian" or "gunicorn"
    workers: int
    threads: int

    @property
    def label(self) -> str:
        return f"{self.kind} {self.workers}w×{self.threads}t"


def server_command(config: ServerConfig, port: int) -> list[str]:
    bin_dir = environment.REPO_DIR / ".venv" / "bin"
    if config.kind == "granian":
        return [
            str(bin_dir / "granian"),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(config.workers),
            "--blocking-threads",
            str(config.threads),
            "--no-ws",
            "bench.wsgi:application",
        ]
    if config.kind == "gunicorn":
        return [
            str(bin_dir / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(config.workers),
            # More than one thread selects the gthread worker.
            "--threads",
            str(config.threads),
            "--log-level",
            "warning",
            "bench.wsgi:application",
        ]
    raise ValueError(f"unknown server kind {config.kind!r}: use granian or gunicorn")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name in brackets may hold spaces: split after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    """Return `root` and all its descendants."""
    children = _children()
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """Return the user plus system CPU time of one process, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of proc(5), utime and stime, counted after the name.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0
    return pages * PAGE_SIZE


@dataclass
class Sampler:
    """Track the peak RSS of each server process while a load run goes."""

    pids: list[int]
    peaks: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                self.peaks[pid] = max(self.peaks.get(pid, 0), rss_bytes(pid))
            self._stop.wait(SAMPLE_INTERVAL_SECONDS)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


class Server:
    """One server process group on 127.0.0.1, started and stopped by the bench."""

    def __init__(
        self, config: ServerConfig, backend: str, port: int, log_path: Path
    ) -> None:
        self.config = config
        self.backend = backend
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            server_command(self.config, self.port),
            cwd=environment.REPO_DIR,
            env=environment.server_environment(self.backend),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.config.label} exited with {self.process.returncode} "
                    f"before serving; see {self.log_path}"
                )
            try:
                status, _ = get(self.port, "/api/bench/floor/")
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200 and self._all_workers_ready():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.config.label} did not respond on 127.0.0.1:{self.port} within "
            f"{READY_TIMEOUT_SECONDS} s; see {self.log_path}"
        )

    def _all_workers_ready(self) -> bool:
        # Each worker imports Django on start; a few more requests give the
        # slower ones time to finish before the load begins.
        for _ in range(4 * self.config.workers):
            status, _ = get(self.port, "/api/bench/floor/")
            if status != 200:
                return False
        return True

    def pids(self) -> list[int]:
        assert self.process is not None
        return process_tree(self.process.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """GET a path of a local bench server; no proxy is ever consulted."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
