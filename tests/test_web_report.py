"""A commune officer files the daily report from a phone; the province reads the reports."""
import re

import pytest
from sqlalchemy import func, select

from coordination.extensions import db
from coordination.reports.models import Report, ReportFigure, ReportVersion
from coordination.reports.views import input_text
from conftest import csrf_from, login


@pytest.fixture
def officer(client, users, matmo):
    login(client, "thatkhe")
    return client


def fill_in(client, figures, date=None, submission_id=None, **fields):
    """Open the form (of `date`, default today) and send it with these figures."""
    page = client.get("/report" + (f"?date={date}" if date else "")).get_data(as_text=True)
    field = lambda name: re.search(rf'name="{name}"\s+value="([^"]+)"', page)[1]  # noqa: E731
    data = {"csrf_token": csrf_from(page), "event": "MATMO-2025",
            "date": date or field("date"), "submission_id": submission_id or field("submission_id"),
            **{f"f_{code}": value for code, value in figures.items()}, **fields}
    return client.post("/report", data=data)


def versions():
    return db.session.scalar(select(func.count(ReportVersion.id)))


def test_the_form_is_grouped_with_units_and_numeric_keyboards(officer, at_local):
    at_local(2025, 10, 8, 9, 0)
    html = officer.get("/report").get_data(as_text=True)
    assert 'value="2025-10-08"' in html and "Bão số 11 (Matmo) và mưa lũ" in html
    for group in ("Người", "Nhà ở", "Nông nghiệp", "Giao thông", "Ước tính thiệt hại"):
        assert f'<legend class="group-title">{group}</legend>' in html
    assert re.search(r'id="f_people_dead"[^>]*inputmode="numeric"', html)
    assert re.search(r'id="f_rice_damaged_ha"[^>]*inputmode="decimal"', html)
    assert '<span class="input-group-text unit">ha</span>' in html


def test_officer_submits_and_gets_an_on_time_receipt(officer, at_local):
    at_local(2025, 10, 8, 13, 30)
    response = fill_in(officer, {"houses_collapsed": "2", "people_injured": "1"}, note="Sạt lở")
    assert response.status_code == 302
    receipt = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã nhận báo cáo" in receipt
    assert "13:30:00 08/10/2025" in receipt
    assert "Đúng hạn (trước 14:00)" in receipt
    assert re.search(r"Số người bị thương</td><td[^>]*>1</td>", receipt)  # what was sent


def test_a_report_after_the_deadline_is_marked_late(officer, at_local):
    at_local(2025, 10, 8, 14, 5)
    receipt = fill_in(officer, {"houses_collapsed": "2"})
    assert "Muộn (sau 14:00)" in officer.get(receipt.headers["Location"]).get_data(as_text=True)


def test_bad_figures_are_marked_beside_their_fields_in_vietnamese(officer, at_local):
    at_local(2025, 10, 8, 9, 0)
    response = fill_in(officer, {"houses_collapsed": "-1", "people_dead": "hai",
                                 "people_injured": "1,5"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Báo cáo chưa được gửi" in html
    for code, message in (("houses_collapsed", "Không được là số âm."),
                          ("people_dead", "&#39;hai&#39; không phải là số. Viết ví dụ 12 hoặc 1,5."),
                          ("people_injured", "Phải là số nguyên.")):
        assert re.search(rf'id="f_{code}"[^>]*value="[^"]*"[^>]*>\s*<span[^>]*>[^<]*</span>\s*'
                         rf'<div class="invalid-feedback" id="e_{code}">{message}</div>', html)
    assert 'value="hai"' in html  # what was typed stays
    assert versions() == 0


def test_numbers_typed_the_vietnamese_way_are_understood(officer, at_local):
    at_local(2025, 10, 8, 9, 0)
    refused = fill_in(officer, {"houses_flooded": "1.200", "roads_damaged_m": "1.200"})
    assert refused.status_code == 422  # metres may have decimals: 1,2 or 1200?
    assert "&#39;1.200&#39; dễ nhầm: viết 5000" in refused.get_data(as_text=True)
    fill_in(officer, {"houses_flooded": "1.200", "roads_damaged_m": "1.200,5",
                      "rice_damaged_ha": "12,5"})
    figures = dict(db.session.execute(select(ReportFigure.indicator_code, ReportFigure.value)).all())
    assert figures == {"houses_flooded": 1200, "roads_damaged_m": 1200.5, "rice_damaged_ha": 12.5}
    assert input_text(1200.0) == "1200" and input_text(12.5) == "12,5"


def test_a_correction_adds_version_2_and_history_shows_both(officer, at_local):
    at_local(2025, 10, 8, 10, 0)
    fill_in(officer, {"houses_collapsed": "2"})
    at_local(2025, 10, 8, 16, 0)
    form = officer.get("/report").get_data(as_text=True)
    assert "phiên bản 1" in form and 'id="f_houses_collapsed"' in form
    assert re.search(r'id="f_houses_collapsed"[^>]*value="2"', form)  # today's figures to edit
    response = fill_in(officer, {"houses_collapsed": "4"})
    assert response.headers["Location"].endswith("/receipt/2")
    history = officer.get("/history").get_data(as_text=True)
    assert "Phiên bản 2" in history and "Phiên bản 1" in history
    assert "16:00 08/10" in history and "10:00 08/10" in history
    report_id = db.session.scalar(select(Report.id))
    detail = officer.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'id="v1"' in detail and 'id="v2"' in detail


def test_the_next_day_starts_from_yesterdays_cumulative_figures(officer, at_local):
    at_local(2025, 10, 8, 10, 0)
    fill_in(officer, {"houses_collapsed": "3", "rice_damaged_ha": "12.5"})
    at_local(2025, 10, 9, 8, 0)
    html = officer.get("/report").get_data(as_text=True)
    assert "Đã điền sẵn số liệu lũy kế ngày 08/10/2025" in html
    assert re.search(r'id="f_houses_collapsed"[^>]*value="3"', html)
    assert re.search(r'id="f_rice_damaged_ha"[^>]*value="12,5"', html)
    assert "Lũy kế trước: 12,5 ha" in html


def test_a_decrease_needs_a_reason(officer, at_local):
    at_local(2025, 10, 8, 10, 0)
    fill_in(officer, {"houses_collapsed": "3"})
    at_local(2025, 10, 9, 10, 0)
    refused = fill_in(officer, {"houses_collapsed": "2"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Thấp hơn số đã báo cáo trước đó (3). Nếu đúng, ghi lý do điều chỉnh" in html
    assert "Lý do điều chỉnh</strong>: Bắt buộc nhập." in html
    accepted = fill_in(officer, {"houses_collapsed": "2"},
                       correction_reason="Đếm trùng 1 nhà ở thôn Nà Pàn")
    assert accepted.status_code == 302
    assert versions() == 2


def test_sending_the_same_form_twice_stores_one_version(officer, at_local):
    at_local(2025, 10, 8, 10, 0)
    first = fill_in(officer, {"houses_collapsed": "2"}, submission_id="form-1")
    again = fill_in(officer, {"houses_collapsed": "2"}, submission_id="form-1")
    assert first.headers["Location"] == again.headers["Location"]
    assert versions() == 1


def test_a_commune_officer_sees_only_its_own_commune(client, users, matmo, post_report, at_local):
    at_local(2025, 10, 8, 10, 0)
    post_report("other", figures={"houses_collapsed": 1})
    other_report = db.session.scalar(select(Report.id))
    login(client, "thatkhe")
    assert client.get(f"/reports/{other_report}").status_code == 403
    assert client.get(f"/reports/{other_report}/receipt/1").status_code == 403
    assert client.get("/reports").status_code == 403
    assert client.get("/events/MATMO-2025/reports").status_code == 403


def test_province_sees_todays_reports_and_their_versions(client, users, matmo, post_report,
                                                          at_local):
    at_local(2025, 10, 8, 10, 0)
    post_report("thatkhe", figures={"houses_collapsed": 1})
    post_report("thatkhe", figures={"houses_collapsed": 2})
    post_report("other", figures={"houses_collapsed": 5})
    login(client, "tinh")
    html = client.get("/reports", follow_redirects=True).get_data(as_text=True)
    assert "Đã nhận <strong>2</strong>/65 xã/phường" in html
    assert "Xã Thất Khê" in html and "Xã Hữu Lũng" in html
    assert html.count('class="version"') == 3  # Thất Khê's two versions, Hữu Lũng's one
    assert "1 có điều chỉnh" in html
    earlier = client.get("/events/MATMO-2025/reports?date=2025-10-07").get_data(as_text=True)
    assert "Đã nhận <strong>0</strong>/65" in earlier
    assert client.get("/events/MATMO-2025/reports?date=hom-qua").status_code == 400
    assert client.get("/report").status_code == 403  # reading, not filing
