"""Fixtures for the browser tests: Debian's Chromium driven by Playwright.

The tests run against pytest-django's live server, a real HTTP server on
127.0.0.1 in a thread of the test process. Screenshots go to
test-artifacts/screenshots/.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
# A common phone screen, in CSS pixels.
PHONE_VIEWPORT = {"width": 390, "height": 844}
# Flags that keep Chromium off the network: this machine has none beyond
# loopback, and background fetches would only fail.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    if not CHROMIUM:
        pytest.skip("Chromium not installed: run .ci/install-chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, so
    # Django refuses ORM calls from the test body. The loop only drives the
    # browser, which makes the calls safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium_browser, request) -> Iterator[object]:
    """A fresh page at a phone viewport; `phone_page.shot(name)` saves a PNG."""
    context = chromium_browser.new_context(
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    test_name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def shot(label: str) -> Path:
        path = ARTIFACTS / f"{test_name}-{next(counter):02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    page.shot = shot  # type: ignore[attr-defined]
    yield page
    context.close()
