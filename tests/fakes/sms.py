"""Fake Tencent Cloud SMS and Aliyun Dysms gateways.

Each responds to SendSms the way its provider does: Tencent with a JSON
`Response` envelope (errors under `Response.Error`, per-number results in
`SendStatusSet`), Aliyun with a flat JSON body whose `Code` is "OK" on
success, on HTTP 200 for business errors as the real gateway does.
"""

import uuid

from tests.fakes.server import FakeServer, Request, Response


class FakeTencentSms(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        # Set to a Tencent error code to fail the whole request, or to a
        # per-number status code with `number_status`.
        self.error_code = ""
        self.number_status = "Ok"

    def sent(self) -> list[dict]:
        return [request.json() for request in self.requests]

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        if request.headers.get("X-TC-Action") != "SendSms":
            return self._error("InvalidAction", "unknown action", request_id)
        if not request.headers.get("Authorization", "").startswith("TC3-HMAC-SHA256"):
            return self._error("AuthFailure.SignatureFailure", "unsigned", request_id)
        if self.error_code:
            return self._error(self.error_code, "fake gateway error", request_id)
        payload = request.json()
        statuses = [
            {
                "SerialNo": str(uuid.uuid4()),
                "PhoneNumber": phone,
                "Fee": 1,
                "SessionContext": "",
                "Code": self.number_status,
                "Message": "send success" if self.number_status == "Ok" else "failed",
                "IsoCode": "CN",
            }
            for phone in payload.get("PhoneNumberSet", [])
        ]
        return Response.json(
            {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}
        )

    @staticmethod
    def _error(code: str, message: str, request_id: str) -> Response:
        return Response.json(
            {
                "Response": {
                    "Error": {"Code": code, "Message": message},
                    "RequestId": request_id,
                }
            }
        )


class FakeAliyunSms(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        # An Aliyun business error code such as isv.BUSINESS_LIMIT_CONTROL,
        # returned on HTTP 200. `http_error` is returned on HTTP 400 instead.
        self.error_code = ""
        self.http_error = ""

    def sent(self) -> list[dict[str, str]]:
        return [{**request.query, **request.form()} for request in self.requests]

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        fields = {**request.query, **request.form()}
        if self.http_error:
            return Response.json(
                {
                    "Code": self.http_error,
                    "Message": "fake gateway error",
                    "RequestId": request_id,
                },
                status=400,
            )
        if fields.get("Action", request.headers.get("x-acs-action")) != "SendSms":
            return Response.json(
                {"Code": "InvalidAction", "Message": "unknown action"}, status=400
            )
        if self.error_code:
            return Response.json(
                {
                    "Code": self.error_code,
                    "Message": "fake business error",
                    "RequestId": request_id,
                }
            )
        return Response.json(
            {
                "Code": "OK",
                "Message": "OK",
                "BizId": uuid.uuid4().hex[:20],
                "RequestId": request_id,
            }
        )
