"""Paths, databases and server environment shared by the generator and runner."""

import os
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
VAR_DIR = BENCH_DIR / "var"
RESULTS_DIR = BENCH_DIR / "results"

BACKENDS = ("sqlite", "postgres")
SQLITE_PATH = VAR_DIR / "bench.sqlite3"
POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_DATABASE = "apoint_bench"
POSTGRES_URL = (
    f"postgres://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{POSTGRES_DATABASE}"
)
REDIS_URL = "redis://127.0.0.1:6379/7"
CACHE_KEY_PREFIX = "apoint-bench"

# A fixed key so that the sessions the generator signs stay valid for the
# server; it protects nothing but benchmark data.
BENCH_SECRET_KEY = "bench-only-secret-key-0f6c1d2e9a7b4c3d8e5f6a1b2c3d4e5f6a7b8c9d"
# Raised so that scrfcode measures its work, not its rejection (ret 4). The
# per-phone limits stay: the load script sends a new phone number each time.
CODE_HOURLY_IP_LIMIT = 1_000_000_000


def backend_dir(backend: str) -> Path:
    return VAR_DIR / backend


def fixture_path(backend: str) -> Path:
    return backend_dir(backend) / "fixture.json"


def server_environment(backend: str) -> dict[str, str]:
    """Return the process environment of a production-mode server on `backend`."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: use one of {BACKENDS}")
    var_dir = backend_dir(backend)
    env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(REPO_DIR),
            "APOINT_MODE": "production",
            "DEBUG": "0",
            "SECRET_KEY": BENCH_SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "APOINT_VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "STATIC_ROOT": str(var_dir / "static"),
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(var_dir / "sms"),
            # Production reads the openid from the WeChat session. The bench
            # sends the salesperson's session cookie on the staff endpoints,
            # but ordersubmit and myorder send a new or fixed openid as a
            # field, which needs this setting.
            "APOINT_TRUST_CLIENT_OPENID": "1",
            "APOINT_CODE_HOURLY_IP_LIMIT": str(CODE_HOURLY_IP_LIMIT),
            # The bench speaks plain HTTP to the app server, as a TLS proxy
            # in front of it would; without this every request is a 301.
            "SECURE_SSL_REDIRECT": "0",
        }
    )
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    else:
        env["DATABASE_URL"] = POSTGRES_URL
        env["REDIS_URL"] = REDIS_URL
        env["CACHE_KEY_PREFIX"] = CACHE_KEY_PREFIX
    return env
