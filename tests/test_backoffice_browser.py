"""The back office in Chromium: claim, confirm, then a salesperson's memo."""

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apoint.models import Hospital, OrderPhoto, Province, StaffMember
from apoint.statuses import OrderStatus
from backoffice.roles import AGENT_GROUP
from tests.conftest import SALESPERSON_OPENID, image_bytes, make_order

pytestmark = pytest.mark.browser

DESKTOP_VIEWPORT = {"width": 1366, "height": 900}
PASSWORD = "agent-password-for-tests"


@pytest.fixture
def desktop_page(chromium_browser, request) -> Iterator[object]:
    """A page at a desktop viewport, where `desktop_page.shot(name)` saves a PNG."""
    from tests.browser import ARTIFACTS

    context = chromium_browser.new_context(
        viewport=DESKTOP_VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(label: str) -> None:
        name = f"{request.node.name}-{next(counter):02d}-{label}.png"
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    page.shot = shot  # type: ignore[attr-defined]
    yield page
    context.close()


def test_claim_confirm_then_memo_unread(
    migration_data, live_server, desktop_page, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    salesperson = StaffMember.objects.create(
        name="王销售",
        phone="13800000001",
        role=StaffMember.Role.SALESPERSON,
        openid=SALESPERSON_OPENID,
    )
    hospital = Hospital.objects.create(
        name="上海医院",
        province=Province.objects.get(name="上海"),
        salesperson=salesperson,
    )
    user = User.objects.create_user(username="zhang", password=PASSWORD)
    user.groups.add(Group.objects.get(name=AGENT_GROUP))
    agent = StaffMember.objects.create(
        name="张客服",
        phone="13800000003",
        role=StaffMember.Role.CUSTOMER_SERVICE,
        user=user,
    )
    order = make_order(hospital, status=OrderStatus.UNCLAIMED, salesperson=None)
    photo = default_storage.save("photos/browser-test.jpg", ContentFile(image_bytes()))
    OrderPhoto.objects.create(order=order, file=photo)
    page = desktop_page

    page.goto(f"{live_server.url}/backoffice/")
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector("#unclaimed")
    page.shot("home-unclaimed")

    page.click(f"[data-claim='{order.pk}']")
    page.wait_for_selector("#move-form")
    assert "已认领未确认" in page.inner_text("#order-status")
    page.shot("claimed")

    # The thumbnail links to the full-size image.
    link = page.locator(".photos a").first
    assert link.get_attribute("href") == f"/media/{photo}"
    full_size = page.request.get(f"{live_server.url}/media/{photo}")
    assert full_size.status == 200
    assert full_size.body() == image_bytes()

    page.select_option("#move-form select[name=status]", str(OrderStatus.CONFIRMED))
    page.fill("#move-form textarea[name=remark]", "家长确认周六来")
    page.click("#move-form button[type=submit]")
    page.wait_for_selector(".messages")
    assert "确认去就诊" in page.inner_text("#order-status")
    assert "家长确认周六来" in page.inner_text("#timeline")
    page.shot("confirmed")

    response = page.request.post(
        f"{live_server.url}/api/apoint/thememo/",
        form={
            "id": str(order.pk),
            "openid": SALESPERSON_OPENID,
            "describe": "已安排周六治疗",
            "types": str(OrderStatus.TREATMENT_ARRANGED.value),
        },
    )
    assert response.json()["ret"] == 0

    page.goto(f"{live_server.url}/backoffice/")
    unread = page.inner_text("#unread")
    assert "已安排周六治疗" in unread
    assert "王销售" in unread
    page.shot("memo-unread")

    order.refresh_from_db()
    assert order.status == OrderStatus.TREATMENT_ARRANGED
    assert order.owner_id == agent.pk
