import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _log_start() -> None:
    from django.conf import settings
    from django.core.cache import caches
    from django.core.files.storage import storages
    from django.db import connection

    logger = logging.getLogger("apoint.wsgi")
    # Only the start is logged here: granian logs its workers' stops, and an
    # atexit handler did not run when granian 2.8 stopped a worker.
    # Class names only, because the URLs may carry passwords.
    logger.info(
        "worker %d started: mode %s, database %s, cache %s, storage %s",
        os.getpid(),
        settings.APOINT_MODE,
        connection.vendor,
        type(caches["default"]).__name__,
        type(storages["default"]).__name__,
    )


_log_start()
