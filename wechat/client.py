"""wechatpy clients pointed at WECHAT_API_BASE_URL.

wechatpy hard-codes https://api.weixin.qq.com/ (as of 1.8.18: class
attributes, and a full URL in WeChatClient.fetch_access_token), so these
subclasses take the base from settings instead. The setting has no default:
without it, no WeChat client is built at all.
"""

from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from wechatpy import WeChatClient
from wechatpy.oauth import WeChatOAuth
from wechatpy.session import SessionStorage


def is_configured() -> bool:
    return bool(
        settings.WECHAT_APP_ID
        and settings.WECHAT_APP_SECRET
        and settings.WECHAT_API_BASE_URL
        and settings.WECHAT_OAUTH_BASE_URL
    )


def _require_configured() -> None:
    if not is_configured():
        raise ImproperlyConfigured(
            "WeChat is not configured: set WECHAT_APP_ID, WECHAT_APP_SECRET, "
            "WECHAT_API_BASE_URL and WECHAT_OAUTH_BASE_URL."
        )


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else f"{url}/"


class TimeoutSession(requests.Session):
    """A requests session with a default timeout on every request.

    wechatpy sends some requests (the access token fetch) without a
    timeout, which would let a stalled WeChat hold a worker forever.
    """

    def request(self, method: str, url: str, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = settings.WECHAT_TIMEOUT_SECONDS
        return super().request(method, url, **kwargs)


class OAuth(WeChatOAuth):
    """Web authorization (snsapi_base)."""

    def __init__(self, redirect_uri: str, state: str) -> None:
        _require_configured()
        super().__init__(
            settings.WECHAT_APP_ID,
            settings.WECHAT_APP_SECRET,
            redirect_uri,
            scope="snsapi_base",
            state=state,
        )
        self.API_BASE_URL = _with_slash(settings.WECHAT_API_BASE_URL)
        self.OAUTH_BASE_URL = _with_slash(settings.WECHAT_OAUTH_BASE_URL)
        self._http = TimeoutSession()


class CacheStorage(SessionStorage):
    """wechatpy token storage in Django's cache, shared by every process.

    WeChat invalidates the previous access token a few minutes after a new
    one is fetched, so processes with a token each would lock each other out.
    """

    def __init__(self, prefix: str = "wechat") -> None:
        self.prefix = prefix

    def get(self, key: str, default: Any = None) -> Any:
        return cache.get(f"{self.prefix}:{key}", default)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        cache.set(f"{self.prefix}:{key}", value, ttl)

    def delete(self, key: str) -> None:
        cache.delete(f"{self.prefix}:{key}")


class ApiClient(WeChatClient):
    """The official-account API client (template messages)."""

    def __init__(self) -> None:
        _require_configured()
        super().__init__(
            settings.WECHAT_APP_ID,
            settings.WECHAT_APP_SECRET,
            session=CacheStorage(),
            timeout=settings.WECHAT_TIMEOUT_SECONDS,
        )
        self.API_BASE_URL = f"{_with_slash(settings.WECHAT_API_BASE_URL)}cgi-bin/"
        self._http = TimeoutSession()

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
            },
        )


# Transport failures wechatpy lets through unwrapped.
TransportError = requests.RequestException
