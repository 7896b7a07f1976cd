import datetime as dt
import logging

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured

from apoint.models import VerificationCode
from apoint.sms import SmsError, SmsMessage, get_backend, send_sms

PHONE = "13800000001"
MESSAGE = SmsMessage(
    phone=PHONE,
    text="您的验证码是123456，5分钟内有效。",
    template="verification_code",
    params=("123456",),
    param_names=("code",),
)


def test_tencent_sends_phone_and_params(tencent):
    send_sms(MESSAGE)
    [payload] = tencent.sent()
    assert payload["PhoneNumberSet"] == ["+8613800000001"]
    assert payload["TemplateId"] == "1000001"
    assert payload["TemplateParamSet"] == ["123456"]
    assert payload["SignName"] == "apoint"
    assert payload["SmsSdkAppId"] == "1400000000"


def test_tencent_error_carries_code(tencent):
    tencent.error_code = "FailedOperation.InsufficientBalanceInSmsPackage"
    with pytest.raises(SmsError) as raised:
        send_sms(MESSAGE)
    assert raised.value.code == "FailedOperation.InsufficientBalanceInSmsPackage"


def test_tencent_number_rejected(tencent):
    tencent.number_status = "LimitExceeded.PhoneNumberDailyLimit"
    with pytest.raises(SmsError) as raised:
        send_sms(MESSAGE)
    assert raised.value.code == "LimitExceeded.PhoneNumberDailyLimit"


def test_tencent_timeout(tencent):
    tencent.delay_seconds = 1.5
    with pytest.raises(SmsError) as raised:
        send_sms(MESSAGE)
    assert raised.value.code == "ClientNetworkError"


def test_aliyun_sends_phone_and_params(aliyun):
    send_sms(MESSAGE)
    [fields] = aliyun.sent()
    assert fields["PhoneNumbers"] == PHONE
    assert fields["TemplateCode"] == "SMS_1000001"
    assert fields["TemplateParam"] == '{"code": "123456"}'
    assert fields["SignName"] == "apoint"


def test_aliyun_business_error_carries_code(aliyun):
    aliyun.error_code = "isv.BUSINESS_LIMIT_CONTROL"
    with pytest.raises(SmsError) as raised:
        send_sms(MESSAGE)
    assert raised.value.code == "isv.BUSINESS_LIMIT_CONTROL"


def test_aliyun_http_error_carries_code(aliyun):
    aliyun.http_error = "InvalidAccessKeyId.NotFound"
    with pytest.raises(SmsError) as raised:
        send_sms(MESSAGE)
    assert raised.value.code == "InvalidAccessKeyId.NotFound"


def test_aliyun_timeout(aliyun):
    aliyun.delay_seconds = 1.5
    with pytest.raises(SmsError) as raised:
        send_sms(MESSAGE)
    assert raised.value.code == "network_error"


@pytest.mark.parametrize("gateway", ["tencent", "aliyun"])
def test_failed_code_send_leaves_no_code(request, client, salesperson, gateway):
    fake = request.getfixturevalue(gateway)
    fake.error_code = "isv.BUSINESS_LIMIT_CONTROL"
    response = client.post("/api/apoint/scrfcode/", {"phone": salesperson.phone})
    body = response.json()
    assert body["ret"] == 7
    assert body["msg"] == "短信发送失败，请稍后再试"
    assert len(fake.requests) == 1
    assert not VerificationCode.objects.filter(phone=salesperson.phone).exists()


def test_timed_out_code_send_leaves_no_code(client, salesperson, tencent):
    tencent.delay_seconds = 1.5
    body = client.post("/api/apoint/scrfcode/", {"phone": salesperson.phone}).json()
    assert body["ret"] == 7
    assert not VerificationCode.objects.filter(phone=salesperson.phone).exists()


def test_gateway_error_logged_with_code(client, salesperson, tencent, caplog):
    tencent.error_code = "FailedOperation.SignatureIncorrectOrUnapproved"
    with caplog.at_level(logging.WARNING, logger="apoint.codes"):
        client.post("/api/apoint/scrfcode/", {"phone": salesperson.phone})
    [record] = [r for r in caplog.records if r.name == "apoint.codes"]
    assert "FailedOperation.SignatureIncorrectOrUnapproved" in record.getMessage()
    assert salesperson.phone not in record.getMessage()


def test_code_sms_carries_no_name(client, salesperson, aliyun):
    client.post("/api/apoint/scrfcode/", {"phone": salesperson.phone})
    [request] = aliyun.requests
    raw = request.body.decode() + str(request.query)
    assert salesperson.name not in raw
    assert "王" not in raw


def test_missing_template_id_is_an_error(tencent, settings):
    settings.SMS_TEMPLATE_IDS = {}
    with pytest.raises(SmsError) as raised:
        send_sms(MESSAGE)
    assert raised.value.code == "template_missing"
    assert tencent.requests == []


def test_gateway_needs_its_endpoint(settings):
    settings.SMS_BACKEND = "tencent"
    settings.SMS_TENCENT_ENDPOINT = ""
    get_backend.cache_clear()
    with pytest.raises(ImproperlyConfigured, match="SMS_TENCENT_ENDPOINT"):
        send_sms(MESSAGE)
    get_backend.cache_clear()


def test_daily_budget_stops_sending(tencent, settings, caplog):
    settings.SMS_DAILY_BUDGET = 2
    send_sms(MESSAGE)
    send_sms(MESSAGE)
    with (
        caplog.at_level(logging.WARNING, logger="apoint.sms.budget"),
        pytest.raises(SmsError) as raised,
    ):
        send_sms(MESSAGE)
    assert raised.value.code == "budget_spent"
    assert len(tencent.requests) == 2
    [record] = [r for r in caplog.records if r.name == "apoint.sms.budget"]
    assert "daily SMS budget of 2 spent" in record.getMessage()


def test_daily_budget_resets_at_beijing_midnight(tencent, settings):
    settings.SMS_DAILY_BUDGET = 1
    # 15:59 UTC is 23:59 in Beijing; 16:01 UTC is the next Beijing day.
    with time_machine.travel(dt.datetime(2026, 12, 4, 15, 59, tzinfo=dt.UTC)):
        send_sms(MESSAGE)
        with pytest.raises(SmsError):
            send_sms(MESSAGE)
    with time_machine.travel(dt.datetime(2026, 12, 4, 16, 1, tzinfo=dt.UTC)):
        send_sms(MESSAGE)
    assert len(tencent.requests) == 2
