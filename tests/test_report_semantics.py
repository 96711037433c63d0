"""What a commune means is what the province publishes: a blank is "unchanged", a lower
figure needs a reason, an empty report is refused unless it says "no damage", and every
version keeps its channel and the moment the officer pressed Gửi."""
import csv
import io

import pytest
from sqlalchemy import select

from coordination.extensions import db
from coordination.reports.models import ReportVersion
from conftest import login, post_form


@pytest.fixture(autouse=True)
def storm(matmo, users):
    """Every story here happens during Matmo, with the usual accounts."""
    return matmo


def summary(client, auth, day="2025-10-09"):
    return client.get(f"/api/v1/events/MATMO-2025/summary?date={day}",
                      headers=auth("province")).get_json()


def commune(answer, code="06040"):
    return next(c for c in answer["communes"] if c["code"] == code)


def test_a_blank_figure_next_day_carries_the_cumulative_value_forward(
        client, auth, post_report, at_local):
    at_local(2025, 10, 9, 10, 0)
    assert post_report("thatkhe", date="2025-10-08",
                       figures={"people_dead": 2, "houses_collapsed": 5}).status_code == 201
    # next day: the officer only updates the houses and leaves deaths blank
    next_day = post_report("thatkhe", date="2025-10-09",
                           figures={"houses_collapsed": 7, "people_dead": ""})
    assert next_day.status_code == 201
    answer = summary(client, auth)
    assert commune(answer)["figures"] == {"people_dead": 2, "houses_collapsed": 7}
    assert answer["totals"]["people_dead"] == 2
    history = client.get("/api/v1/events/MATMO-2025/reports?date=2025-10-09",
                         headers=auth("province")).get_json()["reports"][0]["versions"][0]
    assert history["carried_forward"] == ["people_dead"]
    assert history["figures"] == {"people_dead": 2, "houses_collapsed": 7}


def test_carried_figures_reach_the_exports(client, auth, post_report, at_local):
    at_local(2025, 10, 9, 10, 0)
    post_report("thatkhe", date="2025-10-08", figures={"people_dead": 2, "houses_collapsed": 5})
    post_report("thatkhe", date="2025-10-09", figures={"houses_collapsed": 7})
    exported = client.get("/api/v1/events/MATMO-2025/export?format=csv&date=2025-10-09",
                          headers=auth("province")).get_data(as_text=True).lstrip("\ufeff")
    rows = {r["commune_code"] if "commune_code" in r else r.get("code"): r
            for r in csv.DictReader(io.StringIO(exported))}
    row = rows["06040"]
    assert float(row["people_dead"]) == 2 and float(row["houses_collapsed"]) == 7


def test_a_same_day_correction_cannot_lower_a_figure_without_a_reason(post_report, at_local):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe", figures={"people_missing": 2, "houses_flooded": 1250})
    refused = post_report("thatkhe", figures={"people_missing": 1, "houses_flooded": 1100})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"figures.people_missing": "decrease_needs_reason",
                                             "figures.houses_flooded": "decrease_needs_reason",
                                             "correction_reason": "required"}
    assert "1.250" in refused.get_json()["messages"]["figures.houses_flooded"]
    accepted = post_report("thatkhe", figures={"people_missing": 1, "houses_flooded": 1100},
                           correction_reason="Tìm thấy 1 người; đếm lại nhà ngập")
    assert accepted.status_code == 201 and accepted.get_json()["version"] == 2


def test_lowering_to_zero_is_typing_zero_with_a_reason(client, auth, post_report, at_local):
    at_local(2025, 10, 9, 9, 0)
    post_report("thatkhe", date="2025-10-08", figures={"people_missing": 1})
    assert post_report("thatkhe", date="2025-10-09",
                       figures={"people_missing": 0}).status_code == 422
    assert post_report("thatkhe", date="2025-10-09", figures={"people_missing": 0},
                       correction_reason="Đã tìm thấy").status_code == 201
    assert commune(summary(client, auth))["figures"]["people_missing"] == 0


def test_an_empty_report_is_refused_unless_it_says_no_damage(client, auth, post_report, at_local):
    at_local(2025, 10, 8, 9, 0)
    empty = post_report("thatkhe", figures={}, no_damage=False)
    assert empty.status_code == 422 and empty.get_json()["errors"] == {"figures": "empty_report"}
    blanks = post_report("thatkhe", figures={"people_dead": "", "houses_collapsed": None})
    assert blanks.status_code == 422
    assert post_report("thatkhe", figures={}, no_damage=True).status_code == 201
    versions = client.get("/api/v1/events/MATMO-2025/reports?date=2025-10-08",
                          headers=auth("province")).get_json()["reports"][0]["versions"]
    assert versions[0]["no_damage"] is True and versions[0]["figures"] == {}


def test_an_unchanged_day_is_one_tap_with_the_prefilled_figures(client, users, post_report,
                                                                 at_local):
    at_local(2025, 10, 9, 9, 0)
    post_report("thatkhe", date="2025-10-08", figures={"houses_collapsed": 3})
    login(client, "thatkhe")
    page = client.get("/report?date=2025-10-09").get_data(as_text=True)
    assert 'name="f_houses_collapsed" value="3"' in page
    sent = post_form(client, "/report", {"date": "2025-10-09", "event": "MATMO-2025",
                                         "f_houses_collapsed": "3"}, page="/report?date=2025-10-09")
    assert sent.status_code == 302


def test_each_version_keeps_its_channel_and_the_moment_gui_was_pressed(client, auth, post_report,
                                                                       at_local):
    at_local(2025, 10, 8, 13, 30)
    response = post_report("thatkhe", figures={"houses_collapsed": 1},
                           captured_at="2025-10-08T11:02:00+07:00")
    assert response.status_code == 201 and response.get_json()["channel"] == "api"
    version = client.get("/api/v1/events/MATMO-2025/reports?date=2025-10-08",
                         headers=auth("province")).get_json()["reports"][0]["versions"][0]
    assert version["channel"] == "api"
    assert version["captured_at"] == "2025-10-08T11:02:00+07:00"
    assert version["received_at"] == "2025-10-08T13:30:00+07:00"  # timeliness is the server's
    bad = post_report("thatkhe", figures={"houses_collapsed": 2}, captured_at="hôm nay")
    assert bad.status_code == 422 and bad.get_json()["errors"] == {"captured_at": "invalid_datetime"}


def test_province_enters_a_report_a_commune_phoned_in(client, at_local):
    at_local(2025, 10, 8, 10, 0)
    login(client, "tinh")
    page = "/report?commune=06040"
    assert client.get(page).status_code == 200
    sent = post_form(client, "/report", {"date": "2025-10-08", "event": "MATMO-2025",
                                         "commune": "06040", "f_people_injured": "4"}, page=page)
    assert sent.status_code == 302
    version = db.session.scalar(select(ReportVersion))
    assert version.channel == "phone" and version.reporter.username == "tinh"
    detail = client.get(sent.headers["Location"].replace("/receipt/1", "")).get_data(as_text=True)
    assert "Tỉnh nhập qua điện thoại" in detail or "điện thoại" in detail


def test_a_correction_dated_earlier_updates_what_later_days_carried(client, auth, post_report,
                                                                     at_local):
    at_local(2025, 10, 10, 9, 0)
    post_report("thatkhe", date="2025-10-08", figures={"people_dead": 1, "houses_collapsed": 2})
    post_report("thatkhe", date="2025-10-09", figures={"houses_collapsed": 3})
    # the 8th is corrected upwards: the 9th said "deaths unchanged", so it follows
    post_report("thatkhe", date="2025-10-08", figures={"people_dead": 2})
    assert commune(summary(client, auth))["figures"] == {"people_dead": 2, "houses_collapsed": 3}


def test_an_earlier_correction_walks_forward_until_a_day_typed_its_own_value(
        client, auth, post_report, at_local):
    at_local(2025, 10, 12, 9, 0)
    post_report("thatkhe", date="2025-10-08", figures={"people_dead": 1, "houses_collapsed": 2})
    post_report("thatkhe", date="2025-10-09", figures={"houses_collapsed": 3})
    post_report("thatkhe", date="2025-10-10", figures={"people_dead": 5})
    post_report("thatkhe", date="2025-10-11", figures={"houses_collapsed": 4})
    # the 8th is corrected and gains a figure no day had: the 9th carries both, the 10th
    # keeps its own typed deaths and carries the new figure, and so does the 11th
    assert post_report("thatkhe", date="2025-10-08",
                       figures={"people_dead": 2, "people_missing": 1}).status_code == 201
    expected = {"2025-10-09": {"people_dead": 2, "people_missing": 1, "houses_collapsed": 3},
                "2025-10-10": {"people_dead": 5, "people_missing": 1, "houses_collapsed": 3},
                "2025-10-11": {"people_dead": 5, "people_missing": 1, "houses_collapsed": 4}}
    for day, figures in expected.items():
        assert commune(summary(client, auth, day))["figures"] == figures, day
    history = client.get("/api/v1/events/MATMO-2025/reports?date=2025-10-10",
                         headers=auth("province")).get_json()["reports"]
    latest = history[0]["versions"][-1]
    assert latest["carried_forward"] == ["houses_collapsed", "people_missing"]


def test_the_version_page_highlights_what_changed_and_why(client, users, post_report, at_local):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe", figures={"houses_collapsed": 4, "people_dead": 1})
    post_report("thatkhe", figures={"houses_collapsed": 3}, correction_reason="Đếm trùng 1 nhà")
    login(client, "tinh")
    report_id = db.session.scalar(select(ReportVersion.report_id))
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'data-changed="houses_collapsed"' in html
    assert 'data-changed="people_dead"' not in html  # carried, not changed
    assert "Lý do điều chỉnh: Đếm trùng 1 nhà" in html and "giữ nguyên" in html
