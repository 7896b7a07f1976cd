"""System checks: production needs the WeChat settings."""

from typing import Any

from django.conf import settings
from django.core import checks

REQUIRED = (
    "WECHAT_APP_ID",
    "WECHAT_APP_SECRET",
    "WECHAT_API_BASE_URL",
    "WECHAT_OAUTH_BASE_URL",
)


@checks.register(checks.Tags.security, deploy=True)
def check_wechat_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    if settings.LOCAL_MODE:
        return []
    return [
        checks.Error(
            f"{name} is empty: in production the openid comes from WeChat "
            "web authorization, which needs it.",
            hint=f"Set the environment variable {name}.",
            id="wechat.E001",
        )
        for name in REQUIRED
        if not getattr(settings, name)
    ]
