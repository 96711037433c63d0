"""The relief board in a real browser (Debian's Chromium), desktop and phone, with no internet."""
import shutil
from pathlib import Path

from conftest import PASSWORD, PHONE, RELIEF_EXPECTED_FLAGS, wait_until

BOARD = "/events/MATMO-2025/relief?item=gao&date=2025-10-16"
SHOTS = Path("/tmp/relief-shots")  # copies to look at (a fresh machine has no such folder)


def _login(page, live_server, username):
    page.goto(live_server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _shot(page, tmp_path, name):
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / name)


def test_province_reads_the_relief_board_on_a_desktop(relief_matmo, offline_page, live_server, tmp_path):
    page = offline_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    _login(page, live_server, "tinh")
    page.goto(live_server + BOARD)
    rows = page.locator("#pipeline tbody tr")
    assert rows.count() == 18
    flagged = {row.get_attribute("data-code"): set((row.get_attribute("data-flags") or "").split())
               for row in rows.all()}
    assert flagged == RELIEF_EXPECTED_FLAGS
    assert "2.000.000" in page.inner_text("#totals")
    assert "Phát vượt số đã nhận" in page.inner_text("tr[data-code='06004']")
    image = page.locator("#share-map")
    image.scroll_into_view_if_needed()
    wait_until(page, "document.getElementById('share-map').naturalWidth > 0")
    _shot(page, tmp_path, "relief-board-desktop.png")
    assert page.blocked_requests == []


def test_commune_records_a_distribution_on_a_phone(relief_matmo, offline_page, live_server, tmp_path):
    page = offline_page(**PHONE)
    _login(page, live_server, "thatkhe")
    page.goto(live_server + BOARD)
    assert page.locator("#pipeline tbody tr").count() == 1
    assert "110.000" in page.inner_text("#totals") and page.locator("#own-line").is_visible()
    page.locator("#share-map").scroll_into_view_if_needed()
    wait_until(page, "document.getElementById('share-map').naturalWidth > 0")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, tmp_path, "relief-board-phone.png")
    page.click("#new-distribution")
    page.fill("#village", "Thôn Khòn Nà")
    page.fill("#households", "80")
    page.fill("#people", "300")
    page.fill("#quantity", "4.500")  # kg may have decimals: 4,5 or 4500?
    page.fill("#date", "2025-10-16")
    page.click("#save-distribution")
    assert "'4.500' dễ nhầm: viết 5000" in page.inner_text("main")
    page.fill("#quantity", "4500")
    _shot(page, tmp_path, "relief-distribution-phone.png")
    page.click("#save-distribution")
    page.wait_for_url("**/relief?item=gao")
    assert "Đã ghi lần phát tại Thôn Khòn Nà" in page.inner_text("main")
    assert "94.500" in page.inner_text("#totals")
    assert page.blocked_requests == []


def test_province_enters_the_decision_in_the_browser(matmo, users, at_local, offline_page,
                                                     live_server, tmp_path):
    at_local(2025, 10, 10, 9, 0)
    page = offline_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    _login(page, live_server, "tinh")
    page.goto(live_server + "/events/MATMO-2025/relief/allocations/new")
    page.fill("#decision_no", "2206/QĐ-UBND")
    page.fill("#decision_date", "2025-10-09")
    page.fill("#deadline", "2025-10-12")
    page.fill("#q_06040", "110.000")
    page.fill("#q_06385", "-3")
    page.click("#allocation-form button[type=submit]")
    lines = page.inner_text("#lines")
    assert "Không được là số âm." in lines and "'110.000' dễ nhầm" in lines
    _shot(page, tmp_path, "relief-allocation-error-desktop.png")
    page.fill("#q_06040", "110000")
    page.fill("#q_06385", "130000")
    page.click("#allocation-form button[type=submit]")
    page.wait_for_url("**/relief?item=gao")
    assert "240.000" in page.inner_text("#totals")
    phone = offline_page(**PHONE)
    _login(phone, live_server, "tinh")
    phone.goto(live_server + "/events/MATMO-2025/relief/deliveries/new?commune=06040")
    _shot(phone, tmp_path, "relief-delivery-phone.png")
    assert page.blocked_requests == [] and phone.blocked_requests == []
