"""WeChat web authorization and the local development sign-in.

Both end with the caller's openid in the session under
apoint.identity.SESSION_OPENID_KEY, with a new session id, and a redirect
to a same-origin `next`.
"""

import logging
import secrets
import time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from wechatpy.exceptions import WeChatOAuthException

from apoint.errors import ApiError
from apoint.identity import SESSION_OPENID_KEY
from apoint.logmask import mask_openid
from apoint.models import StaffMember
from apoint.validation import parse_openid
from wechat import client

logger = logging.getLogger(__name__)

# The pending authorization: its state, the `next` to return to, and when
# it started. A new authorization replaces the pending one.
OAUTH_SESSION_KEY = "wechat_oauth"
OAUTH_STATE_TTL_SECONDS = 600

DEV_TEST_IDENTITIES = [
    ("o_dev_family_0000000000000001", "测试家长一"),
    ("o_dev_family_0000000000000002", "测试家长二"),
]


def safe_next(request: HttpRequest, value: str | None) -> str:
    """Return `value` if it points at this site, else "/"."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return "/"


def sign_in(request: HttpRequest, openid: str) -> None:
    """Store `openid` as the caller's identity, under a new session id."""
    request.session.cycle_key()
    request.session[SESSION_OPENID_KEY] = openid


def _failure(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "wechat/failed.html", {"message": message}, status=status)


@require_GET
def authorize(request: HttpRequest) -> HttpResponse:
    """Redirect to WeChat's authorization page with a fresh `state`."""
    if not client.is_configured():
        logger.error("WeChat authorization requested but WeChat is not configured")
        return _failure(request, "微信授权暂不可用，请稍后再试", 503)
    state = secrets.token_urlsafe(24)
    request.session[OAUTH_SESSION_KEY] = {
        "state": state,
        "next": safe_next(request, request.GET.get("next")),
        "started": time.time(),
    }
    callback = request.build_absolute_uri(reverse("wechat-callback"))
    return HttpResponseRedirect(client.OAuth(callback, state).authorize_url)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Swap WeChat's one-time `code` for the openid and sign the caller in.

    The pending state is removed before anything else, so a replayed
    callback URL finds none. WeChat itself rejects a used code (errcode
    40163), and that too ends without a session openid.
    """
    pending = request.session.pop(OAUTH_SESSION_KEY, None)
    state = request.GET.get("state", "")
    code = request.GET.get("code", "")
    if (
        not isinstance(pending, dict)
        or not state
        or not constant_time_compare(state, pending.get("state", ""))
        or time.time() - pending.get("started", 0) > OAUTH_STATE_TTL_SECONDS
    ):
        logger.warning("WeChat callback with an unknown or expired state")
        return _failure(request, "授权已失效，请重新打开页面", 400)
    if not code:
        logger.info("WeChat callback without a code: the user declined")
        return _failure(request, "未获得微信授权，请重新打开页面", 400)
    callback_url = request.build_absolute_uri(reverse("wechat-callback"))
    try:
        result = client.OAuth(callback_url, state).fetch_access_token(code)
        openid = parse_openid(str(result.get("openid", "")))
    except WeChatOAuthException as error:
        logger.warning(
            "WeChat rejected the authorization code: errcode %s %s",
            error.errcode,
            error.errmsg,
        )
        return _failure(request, "微信授权失败，请重新打开页面", 400)
    except client.TransportError as error:
        logger.error("WeChat authorization failed: %s", error)
        return _failure(request, "微信授权暂不可用，请稍后再试", 502)
    except ApiError:
        logger.error("WeChat returned an invalid openid for a valid code")
        return _failure(request, "微信授权失败，请重新打开页面", 502)
    sign_in(request, openid)
    logger.info("WeChat authorization signed in %s", mask_openid(openid))
    return HttpResponseRedirect(pending["next"])


@require_http_methods(["GET", "POST"])
def dev_signin(request: HttpRequest) -> HttpResponse:
    """Sign in as a chosen openid without WeChat: local mode only."""
    if not settings.LOCAL_MODE:
        raise Http404
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    error = ""
    if request.method == "POST":
        try:
            openid = parse_openid(request.POST.get("openid", ""))
        except ApiError as invalid:
            error = invalid.msg
        else:
            sign_in(request, openid)
            logger.info("development sign-in as %s", mask_openid(openid))
            return HttpResponseRedirect(next_url)
    staff = StaffMember.objects.filter(
        openid__isnull=False, is_active=True
    ).values_list("openid", "name")[:10]
    context = {
        "identities": [*DEV_TEST_IDENTITIES, *staff],
        "next": next_url,
        "error": error,
        "current": request.session.get(SESSION_OPENID_KEY, ""),
    }
    return render(
        request, "wechat/dev_signin.html", context, status=400 if error else 200
    )
