"""Production mode: refusals at start-up and `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3Y-" + "x7Qz9" * 10


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("S3_", "APOINT_", "DATABASE_", "REDIS_", "SECURE_", "WECHAT_")
        )
    }
    env.update(
        {
            "APOINT_MODE": "production",
            "APOINT_VAR_DIR": str(tmp_path),
            "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "apoint.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            # Checked for presence only; nothing here contacts them.
            "WECHAT_APP_ID": "wx0123456789abcdef",
            "WECHAT_APP_SECRET": "test-app-secret",
            "WECHAT_API_BASE_URL": "http://127.0.0.1:18399/",
            "WECHAT_OAUTH_BASE_URL": "http://127.0.0.1:18399/connect/",
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value != "<unset>"}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean(tmp_path):
    result = manage(
        production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": "<unset>"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too weak"),
        ({"DATABASE_URL": "<unset>"}, "DATABASE_URL must be set"),
        ({"ALLOWED_HOSTS": "<unset>"}, "ALLOWED_HOSTS must be set"),
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"DATABASE_URL": "mysql://root@127.0.0.1/test"}, "MySQL and MariaDB"),
        ({"S3_BUCKET": "photos"}, "S3_ENDPOINT_URL, S3_REGION, S3_ACCESS_KEY_ID"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' is invalid"),
    ],
)
def test_start_refused(tmp_path, overrides, message):
    result = manage(production_env(tmp_path, **overrides), "check")
    assert result.returncode != 0
    assert message in result.stderr


def test_mysql_refused_in_local_mode(tmp_path):
    env = production_env(
        tmp_path, APOINT_MODE="local", DATABASE_URL="mysql://root@127.0.0.1/test"
    )
    result = manage(env, "check")
    assert result.returncode != 0
    assert "partial unique index" in result.stderr
    assert "Use PostgreSQL or SQLite" in result.stderr


def test_serve_script_refuses_without_secret(tmp_path):
    env = production_env(tmp_path, SECRET_KEY="<unset>")
    result = subprocess.run(
        ["scripts/serve-production"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "Listening" not in result.stderr


def test_missing_secrets_named_together(tmp_path):
    env = production_env(tmp_path, SECRET_KEY="<unset>", ALLOWED_HOSTS="<unset>")
    result = manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY, ALLOWED_HOSTS must be set" in result.stderr
    assert "Traceback" not in result.stderr
