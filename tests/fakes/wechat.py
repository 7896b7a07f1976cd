"""A fake WeChat: web authorization, access tokens and template messages.

It speaks the endpoints wechatpy 1.8 calls: /connect/oauth2/authorize
(the page WeChat shows, here an immediate redirect with a code),
/sns/oauth2/access_token, /cgi-bin/token and
/cgi-bin/message/template/send. Errors use WeChat's errcode/errmsg bodies
and codes: 40029 invalid code, 40163 code already used, 40001 invalid
token.
"""

import secrets
from urllib.parse import urlencode

from tests.fakes.server import FakeServer, Request, Response

APP_ID = "wx0000000000fake"
APP_SECRET = "fake-app-secret"


class FakeWeChat(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        # The openid that the authorization page issues its codes for.
        self.user_openid = "o_wechat_user_000000000000001"
        self.codes: dict[str, str] = {}
        self.used_codes: set[str] = set()
        self.tokens: set[str] = set()
        # openid -> errcode that template messages to it fail with.
        self.template_errors: dict[str, int] = {}
        self.templates_sent: list[dict] = []

    def handle(self, request: Request) -> Response:
        routes = {
            "/connect/oauth2/authorize": self._authorize,
            "/sns/oauth2/access_token": self._oauth_token,
            "/cgi-bin/token": self._token,
            "/cgi-bin/message/template/send": self._template_send,
        }
        route = routes.get(request.path)
        if route is None:
            return Response.json({"errcode": 40066, "errmsg": "invalid url"})
        return route(request)

    def issue_code(self, openid: str | None = None) -> str:
        code = secrets.token_hex(16)
        self.codes[code] = openid or self.user_openid
        return code

    def _authorize(self, request: Request) -> Response:
        query = request.query
        if query.get("appid") != APP_ID or query.get("scope") != "snsapi_base":
            return Response(400, b"invalid appid or scope")
        target = query["redirect_uri"]
        separator = "&" if "?" in target else "?"
        params = urlencode({"code": self.issue_code(), "state": query.get("state", "")})
        return Response(302, b"", {"Location": f"{target}{separator}{params}"})

    def _oauth_token(self, request: Request) -> Response:
        query = request.query
        if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
            return Response.json({"errcode": 40125, "errmsg": "invalid appsecret"})
        code = query.get("code", "")
        if code in self.used_codes:
            return Response.json({"errcode": 40163, "errmsg": "code been used"})
        openid = self.codes.pop(code, None)
        if openid is None:
            return Response.json({"errcode": 40029, "errmsg": "invalid code"})
        self.used_codes.add(code)
        return Response.json(
            {
                "access_token": secrets.token_hex(16),
                "expires_in": 7200,
                "refresh_token": secrets.token_hex(16),
                "openid": openid,
                "scope": "snsapi_base",
            }
        )

    def _token(self, request: Request) -> Response:
        query = request.query
        if query.get("appid") != APP_ID or query.get("secret") != APP_SECRET:
            return Response.json({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return Response.json({"access_token": token, "expires_in": 7200})

    def _template_send(self, request: Request) -> Response:
        if request.query.get("access_token") not in self.tokens:
            return Response.json({"errcode": 40001, "errmsg": "invalid credential"})
        payload = request.json()
        errcode = self.template_errors.get(payload.get("touser", ""))
        if errcode:
            return Response.json({"errcode": errcode, "errmsg": "fake refusal"})
        self.templates_sent.append(payload)
        return Response.json(
            {"errcode": 0, "errmsg": "ok", "msgid": len(self.templates_sent)}
        )
