import pytest

pytestmark = pytest.mark.browser


def test_admin_login_page_renders(live_server, phone_page):
    phone_page.goto(f"{live_server.url}/admin/login/")
    assert "apoint" in phone_page.title()
    phone_page.shot("admin-login")
