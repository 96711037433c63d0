"""A commune officer files from a phone on a network a storm has just damaged: nothing is lost.

The browser tests run the app in a separate server process and stop it (really unreachable:
Playwright's offline switch does not cover a service worker's requests), then start it again
on the same port. The other tests drive the form's JSON endpoint and pages directly.
"""
import json
import shutil
from datetime import timedelta

import pytest
from conftest import PASSWORD, PHONE, csrf_from, login, post_form, wait_until
from sqlalchemy import func, select

from bench.app_process import AppProcess
from bench.browser import open_report_form
from coordination.extensions import db
from coordination.reports.models import ReportFigure, ReportVersion
from coordination.timeutil import local_today

SHOTS = "/tmp"  # screenshots are copied here to be looked at


# --- the form's JSON endpoint (cookie + CSRF header) ---------------------------------------

def body(**extra):
    return {"event": "MATMO-2025", "commune": "06040", "date": local_today().isoformat(),
            "submission_id": "phone-1", "figures": {"houses_collapsed": "1.200", "rice_damaged_ha": "2,5"},
            "note": "", "correction_reason": "", "captured_at": "2025-10-08T13:58:00+07:00", **extra}


def send(client, payload, token):
    return client.post("/report/submit", data=json.dumps(payload),
                       headers={"Content-Type": "application/json", "X-CSRFToken": token})


def form_token(client, url="/report"):
    return csrf_from(client.get(url).get_data(as_text=True))


def stored_versions():
    db.session.rollback()
    return list(db.session.scalars(select(ReportVersion).order_by(ReportVersion.id)))


def test_the_phone_sends_once_however_many_times_it_retries(client, users, matmo):
    login(client, "thatkhe")
    token = form_token(client)
    first = send(client, body(channel="web"), token)
    assert first.status_code == 201
    receipt = first.get_json()
    assert receipt["version"] == 1 and receipt["receipt_url"].startswith("/reports/")
    again = send(client, body(channel="offline"), token)  # the answer was lost; the outbox retries
    assert again.status_code == 200 and again.get_json()["version"] == 1
    [version] = stored_versions()
    assert version.channel == "web"
    figures = dict(db.session.execute(select(ReportFigure.indicator_code, ReportFigure.value)).all())
    assert figures == {"houses_collapsed": 1200, "rice_damaged_ha": 2.5}  # typed as on paper


def test_a_report_sent_later_from_the_outbox_says_offline(client, users, matmo):
    login(client, "thatkhe")
    assert send(client, body(channel="offline"), form_token(client)).status_code == 201
    assert [v.channel for v in stored_versions()] == ["offline"]


def test_an_expired_session_keeps_the_report_and_asks_to_log_in_again(client, users, matmo):
    login(client, "thatkhe")
    token = form_token(client)
    client.post("/logout", data={"csrf_token": token})
    answer = send(client, body(), token)
    assert answer.status_code == 401
    assert answer.get_json()["errors"] == {"request": "login_again"}
    assert "đăng nhập lại" in answer.get_json()["messages"]["request"]
    login(client, "thatkhe")
    refused = send(client, body(), "not-the-token")
    assert refused.status_code == 400 and refused.get_json()["errors"] == {"request": "csrf_failed"}
    assert stored_versions() == []
    assert send(client, body(), form_token(client)).status_code == 201


def test_refusals_come_back_as_field_messages_for_editing(client, users, matmo):
    login(client, "thatkhe")
    token = form_token(client)
    answer = send(client, body(figures={"houses_collapsed": "hai"}), token)
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"figures.houses_collapsed": "not_a_number"}
    assert answer.get_json()["messages"]["figures.houses_collapsed"] == (
        "'hai' không phải là số. Viết ví dụ 12 hoặc 1,5.")
    assert send(client, body(channel="sms"), token).get_json()["errors"] == {"channel": "bad_channel"}
    other = send(client, body(commune="06385", submission_id="x"), token)
    assert other.status_code == 403
    assert send(client, body(channel="phone"), token).status_code == 403  # phone: province only
    assert client.post("/report/submit", data="[]", content_type="application/json",
                       headers={"X-CSRFToken": token}).status_code == 400


def test_a_reused_submission_id_shows_the_stored_version(client, users, matmo):
    login(client, "thatkhe")
    token = form_token(client)
    send(client, body(), token)
    answer = send(client, body(figures={"houses_collapsed": "3"}), token)
    assert answer.status_code == 409
    stored = answer.get_json()["stored"]
    assert stored["version"] == 1 and stored["url"].endswith("#v1")


def test_province_staff_enter_a_phoned_in_report_for_any_commune(client, users, matmo):
    login(client, "tinh")
    listing = client.get("/reports", follow_redirects=True).get_data(as_text=True)
    assert "Nhập báo cáo qua điện thoại" in listing
    chooser = client.get("/report/phone").get_data(as_text=True)
    assert '<option value="06385">Xã Hữu Lũng</option>' in chooser
    page = client.get("/report?commune=06385").get_data(as_text=True)
    assert 'data-channel="phone"' in page and "Nhập báo cáo qua điện thoại cho" in page
    token = csrf_from(page)
    assert send(client, body(commune="06385", channel="web"), token).status_code == 422
    assert send(client, body(commune="06385", channel="phone"), token).status_code == 201
    [version] = stored_versions()
    assert version.channel == "phone" and version.reporter.username == "tinh"
    assert client.get("/report").status_code == 403  # reading, unless a commune is chosen


def test_the_no_damage_button_and_the_plain_form_still_work_without_javascript(client, users, matmo):
    login(client, "thatkhe")
    sent = post_form(client, "/report", {"event": "MATMO-2025", "date": local_today().isoformat(),
                                         "submission_id": "nojs-1", "f_houses_collapsed": "4",
                                         "no_damage": "1"})
    assert sent.status_code == 302
    receipt = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Điều chỉnh" in receipt and "Không có số liệu thiệt hại" in receipt
    [version] = stored_versions()
    assert version.figures == [] and version.channel == "web"


def test_a_future_date_is_refused_before_the_form_opens(client, users, matmo):
    login(client, "thatkhe")
    tomorrow = local_today() + timedelta(days=1)
    page = client.get(f"/report?date={tomorrow.isoformat()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="report-form"' not in html
    assert f"ngày <strong>{tomorrow:%d/%m/%Y}</strong>: ngày này chưa đến" in html


def test_the_form_is_phone_sized_and_carries_what_the_outbox_needs(client, users, matmo, app):
    app.config["SMS_GATEWAY_NUMBER"] = "8085"
    login(client, "thatkhe")
    html = client.get("/report").get_data(as_text=True)
    assert '<details class="figure-group" open>' in html and "0/" in html
    assert 'id="outbox-count"' in html and "Đang chờ gửi (0)" in html
    assert f'data-user="{users["thatkhe"].id}"' in html and 'data-sms-number="8085"' in html
    assert 'id="no-damage"' in html and "Không có thiệt hại phát sinh" in html
    assert '<link rel="manifest"' in html and "<script>" not in html  # no inline script


def test_the_service_worker_manifest_and_healthz_are_served_for_offline_use(client, users):
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.headers["Content-Type"].startswith("application/javascript")
    assert sw.headers["Service-Worker-Allowed"] == "/" and sw.headers["Cache-Control"] == "no-cache"
    text = sw.get_data(as_text=True)
    assert "/static/js/outbox.js" in text and '"/report"' in text and "/api/v1/indicators" in text
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["Content-Type"] == "application/manifest+json"
    spec = manifest.get_json()
    assert spec["name"] == "Báo cáo thiệt hại" and spec["start_url"] == "/report"
    for icon in spec["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


# --- in a real browser, with the server process stopped and started again ----------------

@pytest.fixture
def app_process(app, users, matmo, tmp_path):
    """The test's database served by a separate process (stopped at the end)."""
    process = AppProcess(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance",
                         env={"SMS_GATEWAY_NUMBER": "8085"})
    process.start()
    yield process
    process.stop()


@pytest.fixture
def phone(browser):
    contexts = []

    def open_phone():
        context = browser.new_context(**PHONE)
        contexts.append(context)
        return context, context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def log_in(page, url, username="thatkhe"):
    open_report_form(page, url, username, PASSWORD)


def wait_for_service_worker(page):
    wait_until(page, "navigator.serviceWorker.controller !== null", timeout=15000)
    page.evaluate("navigator.serviceWorker.ready.then(() => caches.open('pages'))"
                  ".then(c => c.match('/report')).then(r => { if (!r) throw 'not cached'; })")


def pending_text(page):
    return page.inner_text("#outbox-count").strip()


def wait_pending(page, n, timeout=10000):
    """Until the page, having read this phone's outbox, says "Đang chờ gửi (n)"."""
    wait_until(page,
               "n => { const el = document.getElementById('outbox-count');"
               " return el.dataset.ready === '1' && el.textContent === `Đang chờ gửi (${n})`; }",
               arg=n, timeout=timeout)


@pytest.mark.browser
def test_a_report_typed_while_the_server_is_unreachable_is_sent_once_when_it_returns(
        app_process, phone, tmp_path):
    _context, page = phone()
    log_in(page, app_process.url)
    wait_for_service_worker(page)
    assert pending_text(page) == "Đang chờ gửi (0)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.getElementById('f_houses_collapsed').getBoundingClientRect().height") >= 44

    assert page.is_hidden("#sms-send")
    # an indicator with an SMS code (the catalog's sms_code column) and one without
    page.evaluate("document.getElementById('f_houses_collapsed').dataset.smsCode = 'NS'")
    page.evaluate("document.getElementById('f_rice_damaged_ha').dataset.smsCode = 'LUA'")
    page.evaluate("document.getElementById('f_people_injured').dataset.smsCode = ''")

    app_process.stop()                      # the storm takes the network
    assert not app_process.reachable()
    page.fill("#f_houses_collapsed", "7")
    page.fill("#f_rice_damaged_ha", "1.250,5")
    page.fill("#f_people_injured", "1")
    page.fill("#note", "Mất sóng từ sáng")
    page.click("#submit-report")
    wait_pending(page, 1)
    # the first attempt ends with the reason it failed (the healthz ping times out first)
    wait_until(page, "document.getElementById('outbox-items').innerText"
                     ".includes('Không kết nối được máy chủ')", timeout=15000)
    assert page.inner_text("#outbox-last").startswith("Thử lần cuối ")
    today = local_today()
    assert page.get_attribute("#sms-send", "href") == (
        f"sms:8085?body=BC%20{today:%d%m}%20NS%207%20LUA%201250%2C5")  # no code: left out
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "offline-pending.png"), full_page=False)
    shutil.copy(tmp_path / "offline-pending.png", f"{SHOTS}/offline-pending-phone.png")

    page.reload()                           # still unreachable: the form opens from the phone
    page.wait_for_selector("#report-form")
    wait_pending(page, 1)
    assert page.is_visible("#outbox-panel") and page.is_visible("#f_houses_collapsed")
    assert stored_versions() == []

    app_process.start()                     # the network comes back; nobody taps anything
    wait_pending(page, 0, timeout=30000)
    page.wait_for_selector("#outbox-sent:not([hidden])")
    assert "Đã gửi Báo cáo ngày" in page.inner_text("#outbox-sent")
    assert not page.is_visible("#outbox-panel")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "offline-sent.png"), full_page=False)
    shutil.copy(tmp_path / "offline-sent.png", f"{SHOTS}/offline-sent-phone.png")
    [version] = stored_versions()
    assert version.channel == "offline" and version.note == "Mất sóng từ sáng"
    assert {f.indicator_code: f.value for f in version.figures} == {
        "houses_collapsed": 7, "rice_damaged_ha": 1250.5, "people_injured": 1}
    page.wait_for_timeout(1500)  # later retries, visibility changes: still one version
    assert db.session.scalar(select(func.count(ReportVersion.id))) == 1


@pytest.mark.browser
def test_a_lost_session_keeps_the_report_until_the_officer_logs_in_again(app_process, phone,
                                                                         tmp_path):
    context, page = phone()
    log_in(page, app_process.url)
    wait_for_service_worker(page)
    context.clear_cookies()                 # the session is gone (expired, cleared)
    page.fill("#f_people_injured", "2")
    page.click("#submit-report")
    page.wait_for_selector("#outbox-login:not([hidden])")
    assert pending_text(page) == "Đang chờ gửi (1)"
    assert "đăng nhập lại" in page.inner_text("#outbox-login")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "offline-login.png"))
    shutil.copy(tmp_path / "offline-login.png", f"{SHOTS}/offline-login-phone.png")
    assert stored_versions() == []

    page.click("#login-again")
    page.fill("#username", "thatkhe")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    # the form's script has run (it counts the outbox): a tap before that would be a plain
    # form post, which a loaded machine once made this test take
    page.wait_for_selector("#outbox-count[data-ready='1']", state="attached")
    wait_pending(page, 0, timeout=30000)
    [version] = stored_versions()
    assert [(f.indicator_code, f.value) for f in version.figures] == [("people_injured", 2)]
    page.reload()
    page.wait_for_selector("#report-form")
    page.wait_for_timeout(1000)
    assert len(stored_versions()) == 1


@pytest.mark.browser
def test_province_staff_enter_the_figures_a_commune_phoned_in(app_process, phone, tmp_path):
    context, page = phone()
    page.goto(app_process.url + "/login")
    page.fill("#username", "tinh")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("#phone-entry-link")
    page.select_option("#commune", "06385")
    page.screenshot(path=f"{SHOTS}/offline-phone-entry-phone.png")
    page.click("#phone-entry button[type=submit]")
    page.wait_for_selector("#report-form")
    assert "Nhập báo cáo qua điện thoại cho Xã Hữu Lũng" in page.inner_text("#phone-entry-note")
    page.fill("#f_houses_flooded", "12")
    page.screenshot(path=f"{SHOTS}/offline-phone-form-phone.png")
    page.click("#submit-report")
    page.wait_for_selector("#receipt")
    assert page.is_visible("#adjust")
    page.screenshot(path=f"{SHOTS}/offline-phone-receipt-phone.png", full_page=True)
    [version] = stored_versions()
    assert version.channel == "phone" and version.report.commune_code == "06385"

    desktop = context.browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    try:
        other = desktop.new_page()
        log_in(other, app_process.url)
        other.screenshot(path=f"{SHOTS}/offline-form-desktop.png")
        other.goto(app_process.url + "/report?date=2099-01-01")
        assert "ngày này chưa đến" in other.inner_text("#future-date")
        other.screenshot(path=f"{SHOTS}/offline-future-desktop.png")
    finally:
        desktop.close()


@pytest.mark.browser
def test_a_refused_report_is_kept_for_editing_and_logging_out_warns(app_process, phone):
    _context, page = phone()
    log_in(page, app_process.url)
    page.fill("#f_houses_collapsed", "hai")
    page.click("#submit-report")
    page.wait_for_selector(".js-feedback")
    assert page.inner_text("#f_houses_collapsed ~ .js-feedback") == (
        "'hai' không phải là số. Viết ví dụ 12 hoặc 1,5.")
    assert pending_text(page) == "Đang chờ gửi (1)"
    assert "Cần sửa" in page.inner_text("#outbox-items")

    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()                    # "Vẫn đăng xuất?" → no
    page.on("dialog", answer)
    page.click(".navbar-toggler")
    page.click("#logout-form button")
    page.wait_for_timeout(500)
    assert dialogs and "Còn 1 báo cáo chưa gửi" in dialogs[0]
    assert page.is_visible("#report-form")  # still logged in, still there

    page.fill("#f_houses_collapsed", "2")
    page.click("#submit-report")
    page.wait_for_selector("#receipt")
    [version] = stored_versions()
    assert [(f.indicator_code, f.value) for f in version.figures] == [("houses_collapsed", 2)]
    page.goto(app_process.url + "/report")
    wait_pending(page, 0)
