import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _log_start() -> None:
    from django.conf import settings
    from django.db import connection

    logger = logging.getLogger("apoint.wsgi")
    # granian logs the stops of its workers itself, and exits them without
    # running atexit handlers, so only the start is logged here.
    # Names only: the URLs themselves may carry passwords.
    logger.info(
        "worker %d started: mode %s, database %s, cache %s, storage %s",
        os.getpid(),
        settings.APOINT_MODE,
        connection.vendor,
        settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        settings.STORAGES["default"]["BACKEND"].rsplit(".", 1)[-1],
    )


_log_start()
