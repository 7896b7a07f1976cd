"""The back office in a real browser: sign in, claim an order, add a remark."""

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from apoint.models import OrderEvent, OrderPhoto
from apoint.statuses import OrderStatus
from tests.browser import ARTIFACTS
from tests.conftest import image_bytes, make_order

pytestmark = pytest.mark.browser

DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = "walkthrough-admin-9"


@pytest.fixture
def desktop_page(chromium_browser, request) -> Iterator[object]:
    context = chromium_browser.new_context(
        viewport=DESKTOP_VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(label: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"admin-{label}.png"), full_page=True)

    page.shot = shot  # type: ignore[attr-defined]
    yield page
    context.close()


def test_admin_claim_and_remark(live_server, desktop_page, hospital, agent):
    page = desktop_page
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    order = make_order(hospital, status=OrderStatus.UNCLAIMED)
    for position, fmt in enumerate(["JPEG", "PNG"]):
        name = default_storage.save(
            f"photos/browser{position}.{fmt.lower()}", ContentFile(image_bytes(fmt))
        )
        OrderPhoto.objects.create(order=order, file=name, position=position)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/apoint/order/")
    page.shot("order-list")

    page.check(f"input[name=_selected_action][value='{order.pk}']")
    page.select_option("select[name=action]", "claim")
    page.select_option("select[name=owner]", str(agent.pk))
    page.click("button[name=index]")
    assert f"已认领 1 个预约单：#{order.pk}" in page.inner_text(".messagelist")

    page.goto(f"{live_server.url}/admin/apoint/order/{order.pk}/change/")
    thumbnails = page.locator("td.field-thumbnail img")
    assert thumbnails.count() == 2
    # naturalWidth is 0 for an image the browser could not load.
    widths = thumbnails.evaluate_all("images => images.map(i => i.naturalWidth)")
    assert widths == [64, 64]
    page.fill("textarea[name='remarks-2-0-text']", "已电话联系家长")
    page.shot("order-change")
    page.click("input[name=_continue]")
    assert "已电话联系家长" in page.inner_text("#remarks-group")
    page.shot("order-saved")

    order.refresh_from_db()
    assert order.status == OrderStatus.CLAIMED
    assert order.owner == agent
    assert order.events.get().kind == OrderEvent.Kind.CLAIMED
    assert order.remarks.get().author_name == "admin"
