"""SMS gateway backends: Tencent Cloud SMS and Aliyun Dysms.

Both send by template: SMS_TEMPLATE_IDS maps the message's template name to
the provider's template id, and the message's params fill the template.
The endpoint has no default, so every deployment names the host it talks to
(sms.tencentcloudapi.com, dysmsapi.aliyuncs.com in production).
"""

import json
import logging

from alibabacloud_dysmsapi20170525 import models as aliyun_models
from alibabacloud_dysmsapi20170525.client import Client as AliyunClient
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_util import models as util_models
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from Tea.exceptions import TeaException
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as tencent_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from apoint.logmask import mask_phone
from apoint.sms import SmsError, SmsMessage

logger = logging.getLogger(__name__)


def _require(name: str) -> str:
    value: str = getattr(settings, name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set for SMS_BACKEND={settings.SMS_BACKEND}."
        )
    return value


def _template_id(message: SmsMessage) -> str:
    template_id: str | None = settings.SMS_TEMPLATE_IDS.get(message.template)
    if not template_id:
        raise SmsError(
            f"no template id for {message.template!r}: add it to SMS_TEMPLATE_IDS",
            code="template_missing",
        )
    return template_id


class TencentBackend:
    """Send through Tencent Cloud SMS (API version 2021-01-11)."""

    def __init__(self) -> None:
        http_profile = HttpProfile(
            protocol=settings.SMS_TENCENT_SCHEME,
            endpoint=_require("SMS_TENCENT_ENDPOINT"),
            reqTimeout=settings.SMS_TIMEOUT_SECONDS,
        )
        self.client = SmsClient(
            credential.Credential(
                _require("SMS_TENCENT_SECRET_ID"), _require("SMS_TENCENT_SECRET_KEY")
            ),
            settings.SMS_TENCENT_REGION,
            ClientProfile(httpProfile=http_profile),
        )
        self.app_id = _require("SMS_TENCENT_APP_ID")
        self.sign_name = _require("SMS_SIGN_NAME")

    def send(self, message: SmsMessage) -> None:
        request = tencent_models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{message.phone}"]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = _template_id(message)
        request.TemplateParamSet = list(message.params)
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or "unknown"
            raise SmsError(
                f"Tencent SMS failed: {error.get_message()}", code=code
            ) from error
        statuses = response.SendStatusSet or []
        if not statuses or statuses[0].Code != "Ok":
            code = statuses[0].Code if statuses else "empty_response"
            message_text = statuses[0].Message if statuses else "no send status"
            raise SmsError(f"Tencent SMS rejected: {message_text}", code=code)
        logger.info(
            "Tencent SMS to %s sent (template %s, request %s)",
            mask_phone(message.phone),
            message.template,
            response.RequestId,
        )


class AliyunBackend:
    """Send through Aliyun Dysms (API version 2017-05-25)."""

    def __init__(self) -> None:
        timeout_ms = settings.SMS_TIMEOUT_SECONDS * 1000
        # The access key is passed explicitly, so the credentials library
        # never falls back to its provider chain (environment, files, the
        # ECS metadata address).
        config = openapi_models.Config(
            access_key_id=_require("SMS_ALIYUN_ACCESS_KEY_ID"),
            access_key_secret=_require("SMS_ALIYUN_ACCESS_KEY_SECRET"),
            endpoint=_require("SMS_ALIYUN_ENDPOINT"),
            protocol=settings.SMS_ALIYUN_PROTOCOL,
            connect_timeout=timeout_ms,
            read_timeout=timeout_ms,
        )
        self.client = AliyunClient(config)
        self.runtime = util_models.RuntimeOptions(
            autoretry=False, connect_timeout=timeout_ms, read_timeout=timeout_ms
        )
        self.sign_name = _require("SMS_SIGN_NAME")

    def send(self, message: SmsMessage) -> None:
        names = message.param_names or tuple(
            f"p{index}" for index in range(1, len(message.params) + 1)
        )
        request = aliyun_models.SendSmsRequest(
            phone_numbers=message.phone,
            sign_name=self.sign_name,
            template_code=_template_id(message),
            template_param=json.dumps(
                dict(zip(names, message.params, strict=True)), ensure_ascii=False
            ),
        )
        try:
            response = self.client.send_sms_with_options(request, self.runtime)
        except TeaException as error:
            # Provider errors carry Aliyun's code. A timeout or a refused
            # connection arrives as UnretryableException without one.
            code = str(getattr(error, "code", "") or "network_error")
            raise SmsError(f"Aliyun SMS failed: {error}", code=code) from error
        body = response.body
        if body is None or body.code != "OK":
            code = body.code if body is not None else "empty_response"
            text = body.message if body is not None else "no body"
            raise SmsError(f"Aliyun SMS rejected: {text}", code=code or "unknown")
        logger.info(
            "Aliyun SMS to %s sent (template %s, request %s)",
            mask_phone(message.phone),
            message.template,
            body.request_id,
        )
