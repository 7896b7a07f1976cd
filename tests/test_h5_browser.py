"""The H5 pages in Chromium at a phone viewport, against the live server."""

import datetime
import io
import re
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image

from apoint.identity import SESSION_OPENID_KEY
from apoint.models import Hospital, Memo, Order, OrderPhoto, StaffMember
from apoint.statuses import OrderStatus
from tests.conftest import PATIENT_OPENID, make_order, restore_migration_data

pytestmark = pytest.mark.browser

NEW_SALESPERSON_OPENID = "o_MHBjNEWsalesperson000000001"


@pytest.fixture(autouse=True)
def _provinces(transactional_db) -> None:
    """Reload the provinces that a data migration adds (see conftest)."""
    restore_migration_data()


def sign_in(page, live_server, openid: str) -> None:
    """Put `openid` in a new server session and give the browser its cookie."""
    # Each step here takes well under a second, so fail after 10 s, not 30 s.
    page.set_default_timeout(10_000)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_OPENID_KEY] = openid
    session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


# Returns a description of each control without a label and each tap target
# smaller than 44 x 44 CSS pixels. Links inside a sentence are exempt,
# because they size with the text around them.
ACCESSIBILITY_PROBLEMS_JS = """() => {
  const problems = [];
  const visible = (el) => el.getClientRects().length > 0;
  const describe = (el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`;
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    if (!el.labels.length && !el.getAttribute("aria-label")) {
      problems.push(`no label: ${describe(el)}`);
    }
  }
  const targets = document.querySelectorAll(
    "a, button, select, textarea, input:not([type=radio]):not([type=file]), " +
      ".choice, label.button"
  );
  for (const el of targets) {
    if (!visible(el)) continue;
    const parent = el.parentElement;
    if (el.tagName === "A" && parent.textContent.trim() !== el.textContent.trim()) {
      continue;
    }
    const box = el.getBoundingClientRect();
    if (box.width < 44 || box.height < 44) {
      problems.push(`small target ${box.width}x${box.height}: ${describe(el)}`);
    }
  }
  return problems;
}"""


def photo_file(folder: Path, name: str, fmt: str, color: tuple[int, int, int]) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, fmt)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def test_family_books_with_two_photos(live_server, phone_page, hospital, tmp_path):
    page = phone_page
    sign_in(page, live_server, PATIENT_OPENID)
    want_date = timezone.localdate() + datetime.timedelta(days=14)
    page.goto(f"{live_server.url}/h5/")
    page.select_option("#area", label="上海")
    page.select_option("#hospital", label=hospital.name)
    page.fill("#wantTime", want_date.isoformat())
    page.fill("#name", "小明")
    page.get_by_label("男", exact=True).check()
    page.fill("#birthday", "2024-03-05")
    page.fill("#phone", "1380013800")  # one digit short
    page.fill("#description", "左脸颊淡红色斑块，约一元硬币大小")
    assert page.text_content("#description-count") == "16/1000"
    page.set_input_files(
        "#photo-input",
        [
            photo_file(tmp_path, "cheek.jpg", "JPEG", (200, 90, 90)),
            photo_file(tmp_path, "neck.png", "PNG", (90, 90, 200)),
        ],
    )
    page.wait_for_function(
        "document.querySelectorAll('#photo-list .photo-done').length === 2"
    )
    page.shot("photos-uploaded")
    assert page.evaluate(ACCESSIBILITY_PROBLEMS_JS) == []

    page.click("#submit")
    error = page.locator("#phone-error")
    error.wait_for(state="visible")
    assert "11位手机号" in error.text_content()
    phone = page.locator("#phone")
    assert "phone-error" in phone.get_attribute("aria-describedby")
    assert phone.get_attribute("aria-invalid") == "true"
    assert Order.objects.count() == 0
    page.shot("phone-invalid")

    page.fill("#phone", "13800138000")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/h5/myorder/\?submitted=1$"))
    page.locator("#order-details").wait_for(state="visible")
    assert page.text_content("[data-key=statusLabel]") == "已提交，等待客服联系"
    assert page.text_content("[data-key=hospital]") == hospital.name
    assert page.text_content("[data-key=wantTime]") == want_date.isoformat()
    page.shot("my-order")
    assert page.evaluate(ACCESSIBILITY_PROBLEMS_JS) == []

    order = Order.objects.get()
    assert order.patient_openid == PATIENT_OPENID
    assert order.name == "小明"
    assert order.phone == "13800138000"
    assert order.want_date == want_date
    assert order.status == OrderStatus.UNCLAIMED
    photos = list(OrderPhoto.objects.filter(order=order).order_by("position"))
    assert len(photos) == 2
    assert photos[0].file.name.endswith(".jpg")
    assert photos[1].file.name.endswith(".png")


def test_family_second_booking_links_first(live_server, phone_page, hospital):
    make_order(hospital, status=OrderStatus.UNCLAIMED)
    page = phone_page
    sign_in(page, live_server, PATIENT_OPENID)
    page.goto(f"{live_server.url}/h5/")
    page.select_option("#area", label="上海")
    page.select_option("#hospital", label=hospital.name)
    page.fill("#wantTime", timezone.localdate().isoformat())
    page.fill("#name", "小红")
    page.get_by_label("女", exact=True).check()
    page.fill("#birthday", "2023-01-01")
    page.fill("#phone", "13900139000")
    page.click("#submit")
    message = page.locator("#form-message")
    message.wait_for(state="visible")
    assert "已有预约正在进行中" in message.text_content()
    assert message.locator("a").get_attribute("href") == "/h5/myorder/"
    assert Order.objects.count() == 1
    page.shot("order-in-progress")


def test_photo_progress_removal_and_required(
    live_server, phone_page, hospital, tmp_path
):
    page = phone_page
    sign_in(page, live_server, PATIENT_OPENID)
    page.goto(f"{live_server.url}/h5/")

    # A slow uplink (throughput in bytes per second) keeps the upload running
    # while the test reads its progress. Random noise keeps the JPEG large.
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 100,
            "downloadThroughput": 500_000,
            "uploadThroughput": 50_000,
        },
    )
    noise = tmp_path / "noise.jpg"
    Image.effect_noise((800, 600), 100).convert("RGB").save(noise, "JPEG", quality=95)
    page.set_input_files("#photo-input", [noise])
    page.wait_for_selector("#photo-list .photo-uploading progress")
    page.wait_for_function("document.querySelector('#photo-list progress')?.value > 0")
    assert "上传中" in page.text_content("#photo-list .photo-status")
    page.shot("upload-in-progress")

    page.get_by_role("button", name="删除第1张照片").click()
    assert page.locator("#photo-list .photo").count() == 0
    assert page.text_content("#photo-add") == "添加照片"

    page.click("#submit")
    for field in ["area", "wantTime", "name", "sex", "birthday", "phone"]:
        assert page.locator(f"#{field}-error").is_visible(), field
    assert page.locator("#hospital-error").is_hidden()
    assert page.evaluate("document.activeElement.id") == "area"
    page.shot("required-fields")


def test_salesperson_binds_and_records_memo(
    live_server, phone_page, hospital, tmp_path
):
    roster = StaffMember.objects.create(
        name="赵销售", phone="13700000009", role=StaffMember.Role.SALESPERSON
    )
    order = make_order(
        hospital,
        salesperson=roster,
        name="陈小宝",
        want_days=-1,
        status=OrderStatus.CLAIMED,
    )
    make_order(
        hospital, openid="o_another_patient_00000000", salesperson=roster, name="刘一"
    )
    photo = OrderPhoto.objects.create(order=order, file="photos/sample.png")
    (tmp_path / "media" / "photos").mkdir(parents=True)
    photo_file(tmp_path / "media" / "photos", "sample.png", "PNG", (220, 150, 150))
    page = phone_page
    sign_in(page, live_server, NEW_SALESPERSON_OPENID)

    page.goto(f"{live_server.url}/h5/staff/patients/")
    page.wait_for_url(re.compile(r"/h5/staff/bind/$"))
    page.fill("#name", roster.name)
    page.fill("#phone", roster.phone)
    page.click("#send-code")
    page.wait_for_function(
        "document.getElementById('send-code').textContent.includes('秒后重发')"
    )
    assert page.locator("#send-code").is_disabled()
    assert page.evaluate(ACCESSIBILITY_PROBLEMS_JS) == []
    page.shot("code-sent")
    sms_files = list(Path(settings.SMS_FILE_PATH).glob("*.txt"))
    assert len(sms_files) == 1
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", sms_files[0].read_text()).group(1)

    page.fill("#vercode", "000000" if code != "000000" else "111111")
    page.click("#submit")
    page.locator("#vercode-error").wait_for(state="visible")
    assert "验证码错误" in page.text_content("#vercode-error")
    page.fill("#name", "赵某")
    page.fill("#vercode", code)
    page.click("#submit")
    page.locator("#form-message").wait_for(state="visible")
    assert page.text_content("#form-message") == "手机号或姓名不匹配"
    page.shot("roster-mismatch")
    page.fill("#name", roster.name)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/h5/staff/patients/$"))
    roster.refresh_from_db()
    assert roster.openid == NEW_SALESPERSON_OPENID

    page.locator("#patient-list li").nth(1).wait_for()
    assert page.text_content("#list-summary") == "共 2 位患者"
    page.fill("#search-name", "小宝")
    page.get_by_role("button", name="搜索", exact=True).click()
    page.wait_for_function("document.querySelectorAll('#patient-list li').length === 1")
    page.shot("patients-search")
    assert page.evaluate(ACCESSIBILITY_PROBLEMS_JS) == []
    page.click("#patient-list a")
    page.wait_for_url(re.compile(rf"/h5/staff/patients/{order.pk}/$"))
    page.locator("#patient-body").wait_for(state="visible")
    assert page.text_content("[data-key=name]") == "陈小宝"
    assert page.get_attribute("[data-key=phone]", "href") == f"tel:{order.phone}"
    page.shot("patient-detail")
    assert page.evaluate(ACCESSIBILITY_PROBLEMS_JS) == []
    page.get_by_role("button", name="查看第1张照片大图").click()
    assert page.locator("#viewer").is_visible()
    assert page.evaluate("getComputedStyle(document.body).overflow") == "hidden"
    assert page.get_attribute("#viewer-image", "src").endswith(
        "/media/photos/sample.png"
    )
    page.shot("photo-enlarged")
    page.click("#viewer-close")
    assert page.locator("#viewer").is_hidden()

    page.get_by_label("已安排治疗").check()
    page.fill("#describe", "家长确认下周二来院治疗")
    page.click("#submit")
    page.locator("#form-message.notice-ok").wait_for()
    assert page.text_content("[data-key=statusLabel]") == "已安排治疗"
    assert "家长确认下周二来院治疗" in page.text_content("#history-list")
    page.shot("memo-recorded")

    # A paused order is closed: a salesperson cannot move it on, and the
    # refusal shows under the status choices.
    page.get_by_label("暂停跟进").check()
    page.click("#submit")
    page.wait_for_function(
        "document.querySelector('[data-key=statusLabel]').textContent === '暂停跟进'"
    )
    page.get_by_label("已安排治疗").check()
    page.click("#submit")
    page.locator("#types-error").wait_for(state="visible")
    assert "状态不能从「暂停跟进」(12)" in page.text_content("#types-error")
    assert page.get_attribute("#types", "aria-describedby") == "types-error"
    page.shot("memo-refused")

    memo = Memo.objects.order_by("pk").first()
    assert Memo.objects.count() == 2
    assert memo.order_id == order.pk
    assert memo.salesperson_id == roster.pk
    assert memo.status == OrderStatus.TREATMENT_ARRANGED
    assert memo.text == "家长确认下周二来院治疗"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAUSED
    assert photo.order_id == order.pk


def test_binding_resend_too_soon_counts_down(live_server, phone_page, client):
    StaffMember.objects.create(name="赵销售", phone="13700000009")
    assert client.post("/api/apoint/scrfcode/", {"phone": "13700000009"}).json() == {
        "ret": 0,
        "msg": "success",
    }
    page = phone_page
    sign_in(page, live_server, NEW_SALESPERSON_OPENID)
    page.goto(f"{live_server.url}/h5/staff/bind/")
    page.fill("#phone", "137 0000 0009")
    page.click("#send-code")
    error = page.locator("#vercode-error")
    error.wait_for(state="visible")
    assert "请求过于频繁" in error.text_content()
    assert page.locator("#send-code").is_disabled()
    assert "秒后重发" in page.text_content("#send-code")
    page.shot("resend-too-soon")


def test_patient_detail_refuses_other_salesperson(
    live_server, phone_page, order, other_salesperson
):
    page = phone_page
    sign_in(page, live_server, other_salesperson.openid)
    page.goto(f"{live_server.url}/h5/staff/patients/{order.pk}/")
    message = page.locator("#patient-message")
    message.wait_for(state="visible")
    assert message.text_content() == "未认证或无权限"
    assert page.locator("#patient-body").is_hidden()
    assert page.locator("#memo-form").is_hidden()
    assert order.name not in page.content()
    page.shot("other-salesperson")


def test_my_order_without_booking(live_server, phone_page):
    page = phone_page
    sign_in(page, live_server, PATIENT_OPENID)
    page.goto(f"{live_server.url}/h5/myorder/")
    message = page.locator("#order-message")
    message.wait_for(state="visible")
    assert message.text_content() == "您还没有预约。"
    assert page.locator("#order-details").is_hidden()
    assert page.get_by_role("link", name="返回预约页").get_attribute("href") == "/h5/"


def test_booking_after_session_expired(live_server, phone_page, hospital):
    page = phone_page
    sign_in(page, live_server, PATIENT_OPENID)
    page.goto(f"{live_server.url}/h5/")
    page.select_option("#area", label="上海")
    page.select_option("#hospital", label=hospital.name)
    page.fill("#wantTime", timezone.localdate().isoformat())
    page.fill("#name", "小红")
    page.get_by_label("女", exact=True).check()
    page.fill("#birthday", "2023-01-01")
    page.fill("#phone", "13900139000")
    page.context.clear_cookies()
    page.click("#submit")
    message = page.locator("#form-message")
    message.wait_for(state="visible")
    assert message.text_content() == "登录已过期，请重新打开此页面 重新打开"
    assert Order.objects.count() == 0

    message.get_by_role("link", name="重新打开").click()
    page.wait_for_selector("text=请先通过微信授权")
    assert page.get_attribute("a.button", "href") == "/dev/signin/?next=%2Fh5%2F"
    page.shot("session-expired")


def test_booking_hospital_gone_meanwhile(live_server, phone_page, hospital):
    page = phone_page
    sign_in(page, live_server, PATIENT_OPENID)
    page.goto(f"{live_server.url}/h5/")
    page.select_option("#area", label="上海")
    page.select_option("#hospital", label=hospital.name)
    page.fill("#wantTime", timezone.localdate().isoformat())
    page.fill("#name", "小红")
    page.get_by_label("女", exact=True).check()
    page.fill("#birthday", "2023-01-01")
    page.fill("#phone", "13900139000")
    Hospital.objects.filter(pk=hospital.pk).update(is_active=False)
    page.click("#submit")
    error = page.locator("#hospital-error")
    error.wait_for(state="visible")
    assert error.text_content() == "医院不存在，请重新选择"
    assert page.get_attribute("#hospital", "aria-invalid") == "true"
    assert Order.objects.count() == 0


def test_booking_keeps_nine_photos(live_server, phone_page, tmp_path):
    page = phone_page
    sign_in(page, live_server, PATIENT_OPENID)
    page.goto(f"{live_server.url}/h5/")
    files = []
    for number in range(10):
        path = tmp_path / f"p{number}.png"
        Image.new("RGB", (8, 8), (number * 20, 0, 0)).save(path, "PNG")
        files.append(path)
    page.set_input_files("#photo-input", files)
    page.wait_for_function(
        "document.querySelectorAll('#photo-list .photo-done').length === 9"
    )
    assert page.locator("#photo-list .photo").count() == 9
    assert "已忽略多选的 1 张" in page.text_content("#photo-error")
    assert page.locator("#photo-input").is_disabled()
    assert page.text_content("#photo-add") == "已达 9 张上限"
    page.shot("nine-photos")
