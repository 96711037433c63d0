"""In a real browser on a phone-sized screen, a commune officer logs in and files the report."""
import shutil

import pytest
from sqlalchemy import select

from coordination.extensions import db
from coordination.reports.models import ReportFigure
from conftest import PASSWORD, PHONE


@pytest.mark.browser
def test_commune_officer_files_a_report_on_a_phone(offline_page, live_server, users, matmo,
                                                   tmp_path):
    page = offline_page(**PHONE)
    page.goto(live_server + "/")
    page.fill("#username", "thatkhe")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#report-form")
    assert "Xã Thất Khê" in page.inner_text("h1")
    assert page.get_attribute("#f_houses_collapsed", "inputmode") == "numeric"
    # nothing sticks out sideways on a 390px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.fill("#f_houses_collapsed", "2")
    page.fill("#f_rice_damaged_ha", "1,5")
    page.fill("#note", "Sạt lở taluy dương tại thôn Nà Pàn")
    page.click("#submit-report")
    page.wait_for_selector("#receipt")
    assert "Đã nhận báo cáo" in page.inner_text("#receipt")
    assert page.inner_text("#on-time").strip().startswith(("Đúng hạn", "Muộn"))

    shot = tmp_path / "report-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, "/tmp/report-phone.png")
    figures = dict(db.session.execute(select(ReportFigure.indicator_code, ReportFigure.value)).all())
    assert figures == {"houses_collapsed": 2, "rice_damaged_ha": 1.5}
    assert page.blocked_requests == []
