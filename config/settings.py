"""Settings for apoint, read from the environment.

`APOINT_MODE=local` (the default) runs on embedded defaults: SQLite under
var/, uploads under var/media, console SMS and a trusted client openid.
`APOINT_MODE=production` has no defaults for secrets and refuses to start
without them.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.storage import default_storage_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("APOINT_VAR_DIR", str(BASE_DIR / "var")))

APOINT_MODE = env_str("APOINT_MODE", "local")
if APOINT_MODE not in {"local", "production"}:
    raise ImproperlyConfigured(
        f"APOINT_MODE={APOINT_MODE!r} is invalid: use local or production."
    )
LOCAL_MODE = APOINT_MODE == "local"
if not LOCAL_MODE:
    # Name every missing secret at once, not one per start attempt.
    _missing = [
        name
        for name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS")
        if not os.environ.get(name)
    ]
    if _missing:
        raise ImproperlyConfigured(
            f"{', '.join(_missing)} must be set in production mode: "
            "docs/deploy.md lists every setting."
        )


def _local_secret_key() -> str:
    """Return a key kept in var/secret_key, made on first use."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if LOCAL_MODE:
    SECRET_KEY = env_str("SECRET_KEY", "") or _local_secret_key()
else:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY is too weak for production mode: use at least 50 random "
            "characters, for example from `python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'`."
        )
DEBUG = env_bool("DEBUG", False)
if not LOCAL_MODE and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production mode.")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if LOCAL_MODE else []
)
if not LOCAL_MODE and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production mode.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "apoint",
    "h5",
    "wechat",
    "notifications",
    "backoffice",
]

MIDDLEWARE = [
    "apoint.requestlog.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apoint.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: a SQLite file under var/ unless DATABASE_URL names another.
DATABASE_URL = env_str(
    "DATABASE_URL", f"sqlite:///{VAR_DIR / 'apoint.sqlite3'}" if LOCAL_MODE else None
)
if DATABASE_URL.split(":", 1)[0].startswith("mysql"):
    raise ImproperlyConfigured(
        "MySQL and MariaDB are not supported: they ignore the partial unique "
        "index that allows one open order per patient. Use PostgreSQL or SQLite."
    )
_database = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    if _database["NAME"] != ":memory:":
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests use a file, not Django's in-memory default: concurrent writers
    # in tests must see the same WAL locking as the server.
    _database["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    _database["OPTIONS"] = {
        # Writers queue on the lock instead of failing with "database is
        # locked": BEGIN IMMEDIATE takes the write lock up front, and the
        # timeout (seconds) is how long a writer waits for it.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # WAL lets readers run beside the writer; synchronous=FULL keeps a
        # committed transaction through a power cut.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        ),
    }
# Persistent connections on both backends. A new SQLite connection per
# request (open, three PRAGMAs, Django's SQL functions) cost 1.6 ms on the
# 2-core bench machine, more than the Django floor's whole request.
_database["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0)
_database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, else a table in the database, so every
# worker process reads the same rate-limit counters and list versions.
REDIS_URL = env_str("REDIS_URL", "")
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "apoint")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, except that a failed read or write is
            # logged and treated as a miss.
            "BACKEND": "apoint.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    # Staff requests read the session every time: Redis serves it, and the
    # database keeps it, so a Redis restart signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "apoint_cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": default_storage_config(),
    # WhiteNoise's compressed manifest storage, also hashing the names in
    # ES module imports.
    "staticfiles": {"BACKEND": "h5.storage.ModuleManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = LOCAL_MODE

# Request bodies: uploads are capped by APOINT_UPLOAD_MAX_BYTES; other bodies
# stay small.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# The back office signs in with Django's auth; the admin keeps its own page.
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not LOCAL_MODE
CSRF_COOKIE_SECURE = not LOCAL_MODE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto
# on every request, so the app servers must be reachable only through it.
# Requests the proxy marks https count as secure, and only those get HSTS.
if not LOCAL_MODE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe the app servers over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# SMS: console (logs the message) or file (one file per message).
SMS_BACKEND = env_str("SMS_BACKEND", "console")
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(VAR_DIR / "sms")))
# Gateways (tencent, aliyun). Endpoints have no default: the operator names
# the provider host. SMS_TEMPLATE_IDS maps template names to provider ids,
# as name=id pairs separated by commas.
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")
SMS_TEMPLATE_IDS = dict(
    pair.split("=", 1) for pair in env_list("SMS_TEMPLATE_IDS", []) if "=" in pair
)
SMS_TIMEOUT_SECONDS = min(env_int("SMS_TIMEOUT_SECONDS", 3, minimum=1), 3)
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 2000, minimum=0)
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_APP_ID = env_str("SMS_TENCENT_APP_ID", "")
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "")
SMS_TENCENT_SCHEME = env_str("SMS_TENCENT_SCHEME", "https")
SMS_ALIYUN_ACCESS_KEY_ID = env_str("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = env_str("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_ENDPOINT = env_str("SMS_ALIYUN_ENDPOINT", "")
SMS_ALIYUN_PROTOCOL = env_str("SMS_ALIYUN_PROTOCOL", "https")

# Trust the openid the client sends. On in local mode only: in production
# the openid comes from the WeChat session.
APOINT_TRUST_CLIENT_OPENID = env_bool("APOINT_TRUST_CLIENT_OPENID", LOCAL_MODE)

# WeChat official account. The API bases have no default: production sets
# https://api.weixin.qq.com/ and https://open.weixin.qq.com/connect/, tests
# a local fake. WECHAT_TEMPLATE_IDS maps message kinds to template ids, as
# kind=id pairs separated by commas.
WECHAT_APP_ID = env_str("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = env_str("WECHAT_APP_SECRET", "")
WECHAT_API_BASE_URL = env_str("WECHAT_API_BASE_URL", "")
WECHAT_OAUTH_BASE_URL = env_str("WECHAT_OAUTH_BASE_URL", "")
WECHAT_TEMPLATE_IDS = dict(
    pair.split("=", 1) for pair in env_list("WECHAT_TEMPLATE_IDS", []) if "=" in pair
)
WECHAT_TIMEOUT_SECONDS = 3

# Path that starts WeChat web authorization for the H5 pages, which add
# ?next=<page>: the wechat app's own view once WeChat is configured. Empty:
# local mode links to the development sign-in instead.
H5_WECHAT_AUTH_URL = env_str(
    "H5_WECHAT_AUTH_URL",
    "/wechat/authorize/" if WECHAT_APP_ID and WECHAT_OAUTH_BASE_URL else "",
)

# Notifications: "thread" sends right after commit in a background thread
# of the web process, "worker" leaves everything to the
# notifications_worker command. The worker also retries and sends reminders.
NOTIFICATIONS_DELIVERY = env_str("NOTIFICATIONS_DELIVERY", "thread")
if NOTIFICATIONS_DELIVERY not in {"thread", "worker", "inline"}:
    raise ImproperlyConfigured(
        f"NOTIFICATIONS_DELIVERY={NOTIFICATIONS_DELIVERY!r} is invalid: "
        "use thread or worker."
    )

# Proxies whose X-Forwarded-For names the client: addresses or networks.
APOINT_TRUSTED_PROXIES = env_list("APOINT_TRUSTED_PROXIES", [])

# Verification codes and their limits.
APOINT_CODE_TTL_SECONDS = 300
APOINT_CODE_MAX_FAILURES = 5
APOINT_CODE_RESEND_SECONDS = 60
APOINT_CODE_DAILY_LIMIT = env_int("APOINT_CODE_DAILY_LIMIT", 10, minimum=1)
APOINT_CODE_HOURLY_IP_LIMIT = env_int("APOINT_CODE_HOURLY_IP_LIMIT", 30, minimum=20)

# Uploads: bytes per file and decoded pixels per image.
APOINT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
APOINT_UPLOAD_MAX_PIXELS = env_int("APOINT_UPLOAD_MAX_PIXELS", 50_000_000, minimum=1)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# plain: one text line per record; json: one JSON object per line.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(
        f"LOG_FORMAT={LOG_FORMAT!r} is invalid: use plain or json."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apoint.logcontext.RequestIdFilter"},
        "mask": {"()": "apoint.logcontext.MaskFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "mask"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}
