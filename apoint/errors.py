"""The API's `ret` codes and the one exception services raise."""

import enum


class Ret(enum.IntEnum):
    OK = 0
    ALREADY_BOUND = -1
    CONFLICT = 1
    INVALID = 2
    CODE_INVALID = 3
    RATE_LIMITED = 4
    FORBIDDEN = 5
    NOT_FOUND = 6
    # Additions for transport-level failures, which also use HTTP statuses.
    UNAVAILABLE = 7
    SERVER_ERROR = 8


# Messages the contract fixes, and the common ones.
MSG_SUCCESS = "success"
MSG_ALREADY_BOUND = "你已经认证过"
MSG_ROSTER_MISMATCH = "手机号或姓名不匹配"
MSG_ROSTER_BOUND_ELSEWHERE = "该员工已绑定其他微信，如需更换请联系管理员"
MSG_ORDER_IN_PROGRESS = "已有预约正在进行中"
MSG_CODE_INVALID = "验证码错误或已过期"
MSG_FORBIDDEN = "未认证或无权限"
MSG_ORDER_NOT_FOUND = "预约单不存在"
MSG_NOT_FOUND = "接口不存在"
MSG_METHOD_NOT_ALLOWED = "请求方法不允许"
MSG_BODY_TOO_LARGE = "请求体过大"
MSG_SERVER_ERROR = "服务器内部错误，请稍后再试"
MSG_UNAVAILABLE = "服务暂时不可用，请稍后再试"


class ApiError(Exception):
    """A business outcome other than success, returned as `ret` and `msg`."""

    def __init__(self, ret: Ret, msg: str) -> None:
        super().__init__(msg)
        self.ret = ret
        self.msg = msg


def invalid(field: str, rule: str) -> ApiError:
    """Build a ret 2 error whose message names the field and the rule."""
    return ApiError(Ret.INVALID, f"{field} {rule}")


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(Ret.RATE_LIMITED, f"请求过于频繁，请{max(retry_after, 1)}秒后再试")
