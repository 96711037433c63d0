"""The commander's view: the trend API against the one aggregation, the dashboard page, the landing."""
import re
from datetime import date

import pytest
from sqlalchemy import update

from coordination.areas.models import Commune
from coordination.auth.accounts import create_user
from coordination.dashboard.charts import nice_ceiling
from coordination.reports.aggregation import daily_totals
from coordination.database import retry_on_conflict
from coordination.extensions import db
from coordination.reports.aggregation import summarize
from coordination.reports.submission import Submission, submit_report
from conftest import PASSWORD, login

XSS = '<script>window.__xss = 1</script>'
TREND = "/api/v1/events/MATMO-2025/trend"
DASHBOARD = "/events/MATMO-2025/dashboard"
INDICATORS = ["people_dead", "people_missing", "houses_collapsed", "houses_flooded",
              "rice_damaged_ha", "people_evacuated"]


def file_report(user, commune, day, figures, note="", sid=None, reason=""):
    sub = Submission(event="MATMO-2025", commune=commune, date=day, submission_id=sid or f"{commune}-{day}",
                     figures=figures, note=note, correction_reason=reason)
    retry_on_conflict(lambda: submit_report(user, sub, channel="api"))


def seed_four_days(users, at_local):
    """6/10 to 9/10 of Matmo. Hữu Lũng reports on 7/10 only (stale after); Thất Khê every day
    to 8/10, corrected on 8/10; on 9/10 (today, 10:00) only Đông Kinh has reported."""
    admin = users["admin"]
    at_local(2025, 10, 6, 11, 0)
    file_report(admin, "06040", "2025-10-06", {"people_dead": 1, "houses_collapsed": 2,
                                               "rice_damaged_ha": 0.1})
    at_local(2025, 10, 7, 11, 0)
    file_report(admin, "06385", "2025-10-07", {"people_dead": 2, "people_missing": 1,
                                               "houses_collapsed": 4, "people_evacuated": 120})
    file_report(admin, "06040", "2025-10-07", {"people_dead": 1, "houses_collapsed": 5,
                                               "rice_damaged_ha": 0.2})
    at_local(2025, 10, 8, 10, 0)
    file_report(admin, "06040", "2025-10-08", {"people_dead": 1, "houses_collapsed": 12,
                                               "houses_flooded": 230, "rice_damaged_ha": 15.5},
                note=XSS)
    file_report(admin, "06046", "2025-10-08", {"houses_flooded": 40, "people_evacuated": 35})
    at_local(2025, 10, 8, 16, 30)
    file_report(admin, "06529", "2025-10-08", {"houses_collapsed": 150, "rice_damaged_ha": 0.3})
    file_report(admin, "06040", "2025-10-08", {"people_dead": 1, "houses_collapsed": 13,
                                               "houses_flooded": 230, "rice_damaged_ha": 15.5},
                note=XSS, sid="06040-2025-10-08-v2", reason="Đếm lại nhà sập")
    at_local(2025, 10, 9, 10, 0)
    file_report(admin, "05977", "2025-10-09", {"houses_collapsed": 3, "people_missing": 1})


@pytest.fixture
def four_days(users, matmo, at_local):
    seed_four_days(users, at_local)
    return matmo


# --- the trend API against the one aggregation ---------------------------------------

@pytest.mark.parametrize("area", [None, "ky-cung", "huu-lung"])
def test_trend_total_is_the_summary_total_on_every_day(client, auth, four_days, area):
    days = [date(2025, 10, d) for d in (6, 7, 8, 9)]
    for indicator in INDICATORS:
        query = {"indicator": indicator, **({"area": area} if area else {})}
        response = client.get(TREND, query_string=query, headers=auth("province"))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["indicator"] == indicator and body["unit"]
        assert [d["date"] for d in body["days"]] == [d.isoformat() for d in days]
        for entry, day in zip(body["days"], days):
            summary = summarize(four_days, day, area)
            expected_total = summary.totals.get(indicator, 0)
            assert entry["total"] == pytest.approx(expected_total, rel=1e-12, abs=1e-12), (indicator, day)
            assert entry["reported"] == summary.reported, (indicator, day)
            assert entry["expected"] == len(summary.communes)


def test_every_total_of_every_day_equals_summarize_exactly_for_counts(app, four_days):
    series = daily_totals(four_days, date(2025, 10, 9))
    assert len(series) == 4
    for day in series:
        summary = summarize(four_days, day.date)
        whole = {k: v for k, v in summary.totals.items() if k != "rice_damaged_ha"}
        assert {k: v for k, v in day.totals.items() if k != "rice_damaged_ha"} == whole
        assert day.totals.get("rice_damaged_ha", 0) == pytest.approx(
            summary.totals.get("rice_damaged_ha", 0), abs=1e-9)
        assert (day.reported, day.expected) == (summary.reported, len(summary.communes))


def test_trend_counts_a_stale_commune_and_the_corrected_version(client, auth, four_days):
    days = client.get(TREND, query_string={"indicator": "houses_collapsed"},
                      headers=auth("province")).get_json()["days"]
    # 6/10: Thất Khê 2. 7/10: + Hữu Lũng 4 → 5 + 4. 8/10: corrected 13 + Lộc Bình 150 + stale
    # Hữu Lũng 4. 9/10: Thất Khê (stale) 13 + 150 + 4 + Đông Kinh 3.
    assert [d["total"] for d in days] == [2, 9, 167, 170]
    assert [d["reported"] for d in days] == [1, 2, 3, 1]
    assert {d["expected"] for d in days} == {65}


def test_trend_of_an_area_counts_only_its_communes(client, auth, four_days):
    days = client.get(TREND, query_string={"indicator": "people_dead", "area": "huu-lung"},
                      headers=auth("province")).get_json()["days"]
    assert [d["total"] for d in days] == [0, 2, 2, 2]
    assert [d["reported"] for d in days] == [0, 1, 0, 0]
    assert {d["expected"] for d in days} == {8}


def test_trend_runs_from_the_start_to_today_and_stops_at_the_end_date(client, auth, four_days, at_local):
    at_local(2025, 10, 12, 9, 0)
    days = client.get(TREND, query_string={"indicator": "people_dead"}, headers=auth("province")).get_json()["days"]
    assert days[0]["date"] == "2025-10-06" and days[-1]["date"] == "2025-10-12"
    future = client.get(TREND, query_string={"indicator": "people_dead", "date": "2025-12-01"},
                        headers=auth("province"))
    assert future.status_code == 400  # never past today: a date after today is refused
    assert future.get_json()["errors"] == {"date": "invalid_date"}
    four_days.end_date = date(2025, 10, 8)
    db.session.commit()
    days = client.get(TREND, query_string={"indicator": "people_dead"}, headers=auth("province")).get_json()["days"]
    assert days[-1]["date"] == "2025-10-08" and len(days) == 3
    upto = client.get(TREND, query_string={"indicator": "people_dead", "date": "2025-10-07"},
                      headers=auth("province")).get_json()["days"]
    assert [d["date"] for d in upto] == ["2025-10-06", "2025-10-07"]


@pytest.mark.parametrize("query, status, field, code", [
    ({"indicator": "no_such_thing"}, 404, "indicator", "indicator_not_found"),
    ({}, 400, "indicator", "required"),
    ({"indicator": "people_dead", "area": "atlantis"}, 404, "area", "not_found"),
    ({"indicator": "people_dead", "date": "08/10/2025"}, 400, "date", "invalid_date"),
])
def test_trend_refuses_what_it_cannot_answer(client, auth, four_days, query, status, field, code):
    response = client.get(TREND, query_string=query, headers=auth("province"))
    assert response.status_code == status
    body = response.get_json()
    assert body["errors"] == {field: code} and body["messages"][field]


def test_trend_is_for_province_and_admin_only(client, auth, four_days):
    query = {"indicator": "people_dead"}
    assert client.get(TREND, query_string=query, headers=auth("admin")).status_code == 200
    assert client.get(TREND, query_string=query, headers=auth("thatkhe")).status_code == 403
    assert client.get(TREND, query_string=query).status_code == 401
    missing = client.get("/api/v1/events/NOPE/trend", query_string=query, headers=auth("province"))
    assert missing.status_code == 404 and missing.get_json()["errors"] == {"event": "not_found"}


def test_an_event_without_reports_has_zero_every_day(client, auth, matmo, users, at_local):
    at_local(2025, 10, 7, 8, 0)
    days = client.get(TREND, query_string={"indicator": "people_dead"}, headers=auth("province")).get_json()["days"]
    assert days == [{"date": "2025-10-06", "total": 0, "reported": 0, "expected": 65},
                    {"date": "2025-10-07", "total": 0, "reported": 0, "expected": 65}]


# --- the dashboard page --------------------------------------------------------------

@pytest.fixture
def province(client, users):
    login(client, "tinh")
    return client


def text_of(html: str, element_id: str) -> str:
    """The visible text inside the element with that id (tags dropped, spaces folded)."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:div></div>|ol>|h2>|section>)', html, re.S)
    assert match, f"no #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_dashboard_shows_headline_figures_with_the_change_since_yesterday(province, four_days):
    html = province.get(DASHBOARD).get_data(as_text=True)
    # 9/10 vs 8/10: dead 1 + 2 = 3, unchanged; missing 1 (Hữu Lũng) + 1 (Đông Kinh) = 2, +1;
    # houses collapsed 13 + 150 + 4 + 3 = 170, +3; flooded 230 + 40 = 270, unchanged.
    assert "3 người" in text_of(html, "card-dead") and "= không đổi" in text_of(html, "card-dead")
    assert "2 người" in text_of(html, "card-missing") and "▲ +1" in text_of(html, "card-missing")
    assert "170 cái" in text_of(html, "card-houses_collapsed") and "▲ +3" in text_of(html, "card-houses_collapsed")
    assert "270 cái" in text_of(html, "card-houses_flooded")
    assert "▲▼ thay đổi so với ngày 08/10/2025" in html
    assert "155 người" in text_of(html, "card-evacuated")
    assert "trên tổng phân bổ —" in text_of(html, "card-rice")  # no relief ledger in this tree
    assert "1/65" in html  # Đông Kinh alone has reported today
    yesterday = province.get(DASHBOARD + "?date=2025-10-08").get_data(as_text=True)
    assert "▲ +158" in text_of(yesterday, "card-houses_collapsed")  # 167 − 9
    assert "Không có báo cáo ngày 08/10/2025" in yesterday


def test_headline_numbers_are_the_summary_totals_in_vietnamese_format(province, four_days, users, at_local):
    at_local(2025, 10, 9, 11, 0)
    file_report(users["admin"], "06001", "2025-10-09", {"people_evacuated": 1234.0, "rice_distributed_kg": 2500.5})
    html = province.get(DASHBOARD).get_data(as_text=True)
    assert "1.389 người" in text_of(html, "card-evacuated")
    assert "2.500,5 kg" in text_of(html, "card-rice")


def test_communes_not_reported_today_are_listed_with_a_tap_to_call_officer(province, four_days, users, at_local):
    html = province.get(DASHBOARD).get_data(as_text=True)  # 9/10 10:00, before 14:00
    waiting = text_of(html, "waiting")
    assert "Chưa báo cáo hôm nay · hạn 14:00" in html
    assert 'id="waiting-count">64<' in html
    assert "Phường Đông Kinh" not in waiting  # it has reported today
    assert waiting.count("chưa báo cáo lần nào") == 60 and waiting.count("số liệu ngày") == 4
    first = re.findall(r'dash-waiting-item" data-code="(\d+)"', html)[:2]
    assert sorted(first) == ["06040", "06385"]  # the communes with someone to call come first
    assert "Xem thêm 56 xã/phường chưa báo cáo" in html
    assert "Xã Thất Khê" in waiting and "số liệu ngày 08/10" in waiting
    assert "Nguyễn Văn An" in waiting and 'href="tel:0912345678"' in html
    assert "Trần Thị Bình" in waiting and 'href="tel:0987654321"' in html
    at_local(2025, 10, 9, 14, 30)
    assert "Quá hạn 14:00 chưa báo cáo" in province.get(DASHBOARD).get_data(as_text=True)


def test_a_phone_number_with_spaces_still_calls(province, four_days):
    create_user("dongdang", PASSWORD, "commune", "06046", full_name="Lê Văn Cường", phone="+84 912 000 111")
    db.session.commit()
    html = province.get(DASHBOARD).get_data(as_text=True)
    assert 'href="tel:+84912000111"' in html and "+84 912 000 111" in html


def test_most_affected_communes_come_by_deaths_and_missing_then_houses(province, four_days):
    html = province.get(DASHBOARD).get_data(as_text=True)
    order = re.findall(r'<li class="list-group-item d-flex gap-2" data-code="(\d+)"', html)
    # Hữu Lũng 3 dead+missing; Thất Khê 1; Đông Kinh 1 (3 houses < 13); Lộc Bình 0 (150 houses);
    # Tràng Định only flooded houses.
    assert order == ["06385", "06040", "05977", "06529", "06046"]


def test_user_text_on_the_dashboard_is_escaped(province, four_days):
    db.session.execute(update(Commune).where(Commune.code == "06529").values(name="Xã <script>alert(1)</script>"))
    db.session.commit()
    html = province.get(DASHBOARD).get_data(as_text=True)
    assert "<script>window.__xss" not in html and "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and "Xã &lt;script&gt;alert(1)&lt;/script&gt;" in html
    scripts = re.findall(r"<script[^>]*>", html)  # only the site's own files, no inline script
    assert scripts and all(re.fullmatch(r'<script src="/static/[^"]+\.js(\?v=[0-9a-f]+)?"( defer)?( nonce="[^"]+")?>', t)
                           for t in scripts), scripts


def test_trend_charts_are_svg_drawn_by_the_server_from_the_trend(province, four_days):
    html = province.get(DASHBOARD).get_data(as_text=True)
    for key in ("dead", "missing", "evacuated", "houses_collapsed", "houses_damaged", "reported"):
        assert re.search(rf'<svg class="trend-chart" id="chart-{key}" data-points="4"', html), key
    assert 'aria-label="Nhà sập đổ, cuốn trôi theo ngày: 170 cái ngày 09/10/2025"' in html
    assert "leaflet" not in html.lower() and "cdn" not in html.lower()


def test_area_selector_narrows_every_number(province, four_days):
    html = province.get(DASHBOARD + "?area=huu-lung").get_data(as_text=True)
    assert "Vùng ngập lũ sông Thương" in html
    assert "0/8" in html and "2 người" in text_of(html, "card-dead")
    assert 'id="waiting-count">8<' in html


def test_the_selector_form_leads_to_the_chosen_event_area_and_day(province, four_days):
    response = province.get("/dashboard?event=MATMO-2025&area=ky-cung&date=2025-10-08")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/events/MATMO-2025/dashboard?area=ky-cung&date=2025-10-08")
    assert province.get("/dashboard?event=NOPE").status_code == 404


def test_dashboard_is_not_for_commune_officers(client, four_days):
    login(client, "thatkhe")
    assert client.get(DASHBOARD).status_code == 403


def test_bad_dashboard_parameters_answer_400_or_404(province, four_days):
    assert province.get(DASHBOARD + "?date=hôm-nay").status_code == 400
    assert province.get(DASHBOARD + "?area=atlantis").status_code == 404
    assert province.get("/events/NOPE/dashboard").status_code == 404


def test_dashboard_is_in_the_province_menu(province, four_days):
    html = province.get("/reports", follow_redirects=True).get_data(as_text=True)
    assert f'href="{DASHBOARD}">Tổng quan</a>' in html


def test_axis_maxima_are_round_with_whole_halves():
    assert [nice_ceiling(v) for v in (0, 1, 3, 7, 13, 170, 999)] == [2, 2, 4, 8, 20, 200, 1000]


# --- the landing page ------------------------------------------------------------------

def test_province_and_admin_land_on_the_newest_open_events_dashboard(client, users, matmo):
    login(client, "tinh")
    assert client.get("/").headers["Location"].endswith(DASHBOARD)
    client.post("/logout", data={})
    fresh = client.application.test_client()
    login(fresh, "admin")
    assert fresh.get("/").headers["Location"].endswith(DASHBOARD)


def test_commune_officers_still_land_on_their_report_form(client, users, matmo):
    login(client, "thatkhe")
    assert client.get("/").headers["Location"].endswith("/report")


def test_without_an_open_event_the_province_lands_on_the_report_list(client, users):
    login(client, "tinh")
    assert client.get("/").headers["Location"].endswith("/reports")


def test_trend_of_an_event_covering_some_communes_expects_only_them(client, auth, users, at_local):
    from coordination.events import create_event
    event = create_event({"code": "LU-THANG-10", "name": "Lũ tháng 10", "type": "flood",
                          "start_date": "2025-10-20", "communes": ["06040", "06385", "06046"]})
    db.session.commit()
    at_local(2025, 10, 21, 9, 0)
    sub = Submission(event="LU-THANG-10", commune="06046", date="2025-10-21", submission_id="lu-1",
                     figures={"houses_flooded": 7})
    retry_on_conflict(lambda: submit_report(users["admin"], sub, channel="api"))
    days = client.get("/api/v1/events/LU-THANG-10/trend", query_string={"indicator": "houses_flooded"},
                      headers=auth("province")).get_json()["days"]
    summary = summarize(event, date(2025, 10, 21))
    assert days[-1] == {"date": "2025-10-21", "total": summary.totals["houses_flooded"],
                        "reported": summary.reported, "expected": 3}
    assert days[0]["total"] == 0


def test_the_rice_card_says_how_much_of_the_allocation_was_distributed(relief_matmo, client):
    """Decision 2206/QĐ-UBND allocated 2.000 tấn: the card reads distributed "of" allocated."""
    login(client, "tinh")
    html = client.get("/events/MATMO-2025/dashboard?date=2025-10-16").get_data(as_text=True)
    assert "trên tổng phân bổ 2.000.000 kg" in html


@pytest.mark.parametrize("area", [None, "ky-cung"])
def test_the_trend_carries_the_ledgers_rice_as_the_summary_does(matmo, relief_matmo, post_report,
                                                                area):
    """The reserve rice of the reports comes from the relief ledger (derived figures): the
    daily sweep overlays it day by day exactly as summarize does (issue 20)."""
    assert post_report("thatkhe", date="2025-10-12", figures={"houses_collapsed": 2}).status_code == 201
    rice = ["rice_received_kg", "rice_distributed_kg", "people_receiving_rice"]
    series = daily_totals(matmo, date(2025, 10, 16), area)
    assert any(day.totals.get("rice_distributed_kg") for day in series)
    for day in series:
        summary = summarize(matmo, day.date, area)
        assert {c: day.totals.get(c) for c in rice + ["houses_collapsed"]} == \
            {c: summary.totals.get(c) for c in rice + ["houses_collapsed"]}, day.date
