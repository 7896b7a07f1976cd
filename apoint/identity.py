"""The caller's identity: the WeChat openid and the client address."""

import functools
import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from apoint.errors import MSG_FORBIDDEN, ApiError, Ret
from apoint.models import StaffMember
from apoint.validation import parse_openid

SESSION_OPENID_KEY = "apoint_openid"
MSG_CROSS_SITE = "请求来源不是本站，已拒绝"


def request_openid(request: HttpRequest, sent: str) -> str:
    """Return the caller's openid, or raise ApiError.

    With APOINT_TRUST_CLIENT_OPENID on, the openid is taken as sent (the
    session's when none is sent). Off, it comes from the WeChat session and a
    sent openid must match it (ret 5 otherwise). A POST that relies on the
    session must come from this site (see `require_same_origin`).
    """
    sent = sent.strip()
    if settings.APOINT_TRUST_CLIENT_OPENID and sent:
        # Taken as sent, without reading the session (a query per request).
        return parse_openid(sent)
    session_openid = request.session.get(SESSION_OPENID_KEY, "")
    if settings.APOINT_TRUST_CLIENT_OPENID:
        if not session_openid:
            return parse_openid(sent)
        require_same_origin(request)
        return parse_openid(session_openid)
    if not session_openid:
        raise ApiError(Ret.FORBIDDEN, "未通过微信授权，请从微信中打开")
    if sent and sent != session_openid:
        raise ApiError(Ret.FORBIDDEN, MSG_FORBIDDEN)
    require_same_origin(request)
    return session_openid


def require_same_origin(request: HttpRequest) -> None:
    """Reject a state-changing request from another site (ret 5).

    The API takes no CSRF token, so a request that relies on the session
    cookie must carry an Origin, or failing that a Referer, naming this
    site or one of CSRF_TRUSTED_ORIGINS. Current browsers send Origin with
    every POST. SameSite=Lax already keeps the cookie off cross-site POSTs,
    and this check also covers sibling subdomains, which count as same-site.
    """
    if request.method in {"GET", "HEAD", "OPTIONS", "TRACE"}:
        return
    allowed = {f"{request.scheme}://{request.get_host()}"}
    allowed.update(settings.CSRF_TRUSTED_ORIGINS)
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        referer = urlsplit(request.META.get("HTTP_REFERER", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
    if origin not in allowed:
        raise ApiError(Ret.FORBIDDEN, MSG_CROSS_SITE)


def bound_staff(request: HttpRequest, sent: str) -> StaffMember:
    """Return the active staff member bound to the caller's openid (else ret 5)."""
    try:
        openid = request_openid(request, sent)
    except ApiError as error:
        if error.ret == Ret.INVALID:
            raise ApiError(Ret.FORBIDDEN, MSG_FORBIDDEN) from None
        raise
    # openid is never empty here: a lookup with "" or None would match
    # unbound rows.
    staff = StaffMember.objects.filter(openid=openid, is_active=True).first()
    if staff is None:
        raise ApiError(Ret.FORBIDDEN, MSG_FORBIDDEN)
    return staff


def client_ip(request: HttpRequest) -> str:
    """Return the client's address for rate limits.

    X-Forwarded-For is read only when the request comes from one of
    APOINT_TRUSTED_PROXIES; its right-most address not itself a trusted
    proxy is the client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for candidate in reversed([part.strip() for part in forwarded.split(",")]):
        if not _is_ip(candidate):
            # Not an address ("unknown", a typo): the chain cannot be
            # trusted past this point, so count the proxy's own address.
            return remote
        if not _is_trusted_proxy(candidate):
            return candidate
    return remote


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks())


@functools.cache
def _trusted_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(entry, strict=False)
        for entry in settings.APOINT_TRUSTED_PROXIES
    )


def is_trusted_proxy(address: str) -> bool:
    """Return whether `address` is in APOINT_TRUSTED_PROXIES."""
    return _is_trusted_proxy(address)
