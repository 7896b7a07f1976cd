"""Pytest fixtures that start the fake servers and point apoint at them."""

from collections.abc import Iterator

import pytest

from apoint.sms import get_backend
from tests.fakes.sms import FakeAliyunSms, FakeTencentSms
from tests.fakes.wechat import APP_ID, APP_SECRET, FakeWeChat


@pytest.fixture
def tencent(settings) -> Iterator[FakeTencentSms]:
    fake = FakeTencentSms()
    settings.SMS_BACKEND = "tencent"
    settings.SMS_TENCENT_ENDPOINT = f"127.0.0.1:{fake.port}"
    settings.SMS_TENCENT_SCHEME = "http"
    settings.SMS_TENCENT_SECRET_ID = "AKIDfake"
    settings.SMS_TENCENT_SECRET_KEY = "fake-secret"
    settings.SMS_TENCENT_APP_ID = "1400000000"
    settings.SMS_SIGN_NAME = "apoint"
    settings.SMS_TEMPLATE_IDS = {"verification_code": "1000001"}
    settings.SMS_TIMEOUT_SECONDS = 1
    get_backend.cache_clear()
    yield fake
    get_backend.cache_clear()
    fake.stop()


@pytest.fixture
def aliyun(settings) -> Iterator[FakeAliyunSms]:
    fake = FakeAliyunSms()
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_ENDPOINT = f"127.0.0.1:{fake.port}"
    settings.SMS_ALIYUN_PROTOCOL = "http"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAIfake"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "fake-secret"
    settings.SMS_SIGN_NAME = "apoint"
    settings.SMS_TEMPLATE_IDS = {"verification_code": "SMS_1000001"}
    settings.SMS_TIMEOUT_SECONDS = 1
    get_backend.cache_clear()
    yield fake
    get_backend.cache_clear()
    fake.stop()


@pytest.fixture
def wechat(settings) -> Iterator[FakeWeChat]:
    fake = FakeWeChat()
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_APP_SECRET = APP_SECRET
    settings.WECHAT_API_BASE_URL = f"{fake.base_url}/"
    settings.WECHAT_OAUTH_BASE_URL = f"{fake.base_url}/connect/"
    settings.WECHAT_TIMEOUT_SECONDS = 1
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _notifications_left_to_worker(settings) -> None:
    # Tests send notifications only when they ask to, never in a thread.
    settings.NOTIFICATIONS_DELIVERY = "worker"
