import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apoint.identity import SESSION_OPENID_KEY
from apoint.models import StaffMember
from tests.conftest import PATIENT_OPENID, SALESPERSON_OPENID

pytestmark = pytest.mark.django_db

PAGES = ["h5:book", "h5:my_order", "h5:staff_bind", "h5:patients"]


def signed_in_client(openid: str) -> Client:
    client = Client()
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_OPENID_KEY] = openid
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.mark.parametrize("page", PAGES)
def test_page_without_session_links_dev_signin(page):
    url = reverse(page)
    response = Client().get(url)
    assert response.status_code == 200
    assert response.templates[0].name == "h5/signin.html"
    assert f'href="/dev/signin/?next={url.replace("/", "%2F")}"' in response.text


def test_page_without_session_prefers_wechat(settings):
    settings.H5_WECHAT_AUTH_URL = "/wechat/authorize/"
    response = Client().get(reverse("h5:book") + "?from=menu")
    assert 'href="/wechat/authorize/?next=%2Fh5%2F%3Ffrom%3Dmenu"' in response.text
    assert "/dev/signin/" not in response.text


def test_page_without_session_in_production(settings):
    settings.LOCAL_MODE = False
    response = Client().get(reverse("h5:book"))
    assert response.templates[0].name == "h5/signin.html"
    assert "/dev/signin/" not in response.text
    assert "请从微信公众号菜单中打开" in response.text


def test_page_ignores_openid_in_query():
    response = Client().get(reverse("h5:book") + f"?openid={PATIENT_OPENID}")
    assert response.templates[0].name == "h5/signin.html"


def test_book_page_limits_dates_to_window():
    response = signed_in_client(PATIENT_OPENID).get(reverse("h5:book"))
    today = timezone.localdate()
    last = today + datetime.timedelta(days=365)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    text = response.text
    assert f'min="{today.isoformat()}" max="{last.isoformat()}"' in text
    assert f'id="birthday" name="birthday" type="date" required max="{today}"' in text
    assert 'data-photo-max="9"' in text
    assert 'value="男"' in text
    assert 'value="女"' in text


def test_book_page_ties_errors_to_inputs():
    text = signed_in_client(PATIENT_OPENID).get(reverse("h5:book")).text
    for field in ["area", "hospital", "wantTime", "name", "birthday", "phone"]:
        assert f'<label for="{field}">' in text
        assert f'id="{field}-error"' in text
        assert f"{field}-error" in text.split(f'id="{field}"', 1)[1].split(">", 1)[0]


def test_book_page_loads_no_third_party_resource():
    text = signed_in_client(PATIENT_OPENID).get(reverse("h5:book")).text
    assert "http://" not in text
    assert "https://" not in text
    assert '<script type="module" src="/static/h5/book.js">' in text


def test_my_order_page_renders():
    response = signed_in_client(PATIENT_OPENID).get(reverse("h5:my_order"))
    assert response.templates[0].name == "h5/my_order.html"


def test_staff_pages_send_unbound_caller_to_binding(order):
    client = signed_in_client("o_unbound_caller_000000000")
    for url in [reverse("h5:patients"), reverse("h5:patient_detail", args=[order.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("h5:staff_bind")


def test_binding_page_sends_bound_staff_to_patients(salesperson):
    response = signed_in_client(SALESPERSON_OPENID).get(reverse("h5:staff_bind"))
    assert response.status_code == 302
    assert response["Location"] == reverse("h5:patients")


def test_binding_page_counts_down_resend_delay():
    response = signed_in_client("o_unbound_caller_000000000").get(
        reverse("h5:staff_bind")
    )
    assert response.templates[0].name == "h5/staff_bind.html"
    assert 'data-resend-seconds="60"' in response.text


def test_inactive_staff_is_sent_to_binding(salesperson):
    StaffMember.objects.filter(pk=salesperson.pk).update(is_active=False)
    response = signed_in_client(SALESPERSON_OPENID).get(reverse("h5:patients"))
    assert response["Location"] == reverse("h5:staff_bind")


def test_patient_detail_offers_five_memo_statuses(salesperson, order):
    url = reverse("h5:patient_detail", args=[order.pk])
    response = signed_in_client(SALESPERSON_OPENID).get(url)
    assert response.status_code == 200
    text = response.text
    assert f'data-order-id="{order.pk}"' in text
    for value, label in [
        (6, "已安排治疗"),
        (11, "延后治疗"),
        (12, "暂停跟进"),
        (13, "转院"),
        (14, "确认未到诊"),
    ]:
        assert f'value="{value}" required> {label}' in text
    assert text.count('name="types"') == 5


def test_patient_detail_shows_no_order_data(salesperson, other_salesperson, order):
    # The page is a shell: the API call behind it checks the caller.
    client = signed_in_client(other_salesperson.openid)
    response = client.get(reverse("h5:patient_detail", args=[order.pk]))
    assert response.status_code == 200
    assert order.name not in response.text
    assert order.phone not in response.text


def test_page_views_query_counts(
    django_assert_num_queries, salesperson, order, settings
):
    # One query loads the session, none when Redis serves it (cached_db);
    # staff pages add one for the staff check.
    session = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    family = signed_in_client(PATIENT_OPENID)
    staff = signed_in_client(SALESPERSON_OPENID)
    with django_assert_num_queries(session):
        family.get(reverse("h5:book"))
    with django_assert_num_queries(session):
        family.get(reverse("h5:my_order"))
    with django_assert_num_queries(session + 1):
        staff.get(reverse("h5:patients"))
    with django_assert_num_queries(session + 1):
        staff.get(reverse("h5:patient_detail", args=[order.pk]))
