"""Settings for the benchmark server: the project's settings plus floor views.

Everything else, middleware included, comes from config.settings, so that the
floors run through the same stack as the API. The runner sets the environment
(APOINT_MODE=production, DEBUG off, bench secrets, raised code-send limits).
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"
