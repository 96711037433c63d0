"""Commune officers file daily cumulative damage reports through the API."""
from coordination.reports.models import ReportVersion
from coordination.extensions import db
from sqlalchemy import func, select


def test_commune_files_a_report_and_gets_a_receipt(post_report, matmo, at_local):
    at_local(2025, 10, 8, 13, 30)
    response = post_report("thatkhe", figures={"houses_collapsed": 2, "people_dead": 1})
    assert response.status_code == 201
    body = response.get_json()
    assert body["version"] == 1
    assert body["on_time"] is True
    assert body["received_at"] == "2025-10-08T13:30:00+07:00"


def test_same_submission_twice_is_stored_once(post_report, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    first = post_report("thatkhe", figures={"houses_collapsed": 2}, submission_id="abc-1")
    again = post_report("thatkhe", figures={"houses_collapsed": 2}, submission_id="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count(ReportVersion.id))) == 1


def test_same_submission_id_with_other_figures_is_a_conflict(post_report, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe", figures={"houses_collapsed": 2}, submission_id="abc-2")
    response = post_report("thatkhe", figures={"houses_collapsed": 3}, submission_id="abc-2")
    assert response.status_code == 409


def test_commune_cannot_report_for_another_commune(post_report, matmo):
    response = post_report("thatkhe", commune="06385", figures={"houses_collapsed": 1})
    assert response.status_code == 403


def test_bad_figures_get_field_level_codes(post_report, matmo):
    response = post_report("thatkhe", figures={
        "houses_collapsed": -1, "people_dead": "hai", "bogus": 1, "people_injured": 1.5})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "figures.houses_collapsed": "negative", "figures.people_dead": "not_a_number",
        "figures.bogus": "unknown_indicator", "figures.people_injured": "not_whole_number"}


def test_report_after_14h_is_late(post_report, matmo, at_local):
    at_local(2025, 10, 8, 14, 0, 1)
    assert post_report("thatkhe", figures={"houses_collapsed": 1}).get_json()["on_time"] is False


def test_report_at_14h_sharp_is_on_time(post_report, matmo, at_local):
    at_local(2025, 10, 8, 14, 0, 0)
    assert post_report("thatkhe", figures={"houses_collapsed": 1}).get_json()["on_time"] is True


def test_correction_the_same_day_keeps_earlier_versions(client, auth, post_report, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe", figures={"houses_collapsed": 2}, note="sáng")
    at_local(2025, 10, 8, 16, 0)
    second = post_report("thatkhe", figures={"houses_collapsed": 5}, note="chiều")
    assert second.status_code == 201 and second.get_json()["version"] == 2
    reports = client.get("/api/v1/events/MATMO-2025/reports?date=2025-10-08",
                         headers=auth("province")).get_json()["reports"]
    assert len(reports) == 1
    versions = reports[0]["versions"]
    assert [v["figures"]["houses_collapsed"] for v in versions] == [2, 5]
    assert versions[0]["reporter"] == "thatkhe" and versions[0]["received_at"].endswith("+07:00")
    # the first version was on time, so the report stays on time after a late correction
    assert reports[0]["on_time"] is True and versions[1]["on_time"] is False


def test_lower_cumulative_figure_needs_a_correction_reason(post_report, matmo, at_local):
    at_local(2025, 10, 9, 9, 0)
    post_report("thatkhe", date="2025-10-08", figures={"houses_collapsed": 4})
    refused = post_report("thatkhe", date="2025-10-09", figures={"houses_collapsed": 3})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"figures.houses_collapsed": "decrease_needs_reason",
                                             "correction_reason": "required"}
    assert "4" in refused.get_json()["messages"]["figures.houses_collapsed"]
    accepted = post_report("thatkhe", date="2025-10-09", figures={"houses_collapsed": 3},
                           correction_reason="Rà soát lại: 1 nhà đếm trùng")
    assert accepted.status_code == 201


def test_dates_in_the_future_or_outside_the_event_are_refused(post_report, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    assert post_report("thatkhe", date="2025-10-09").get_json()["errors"] == {"date": "future_date"}
    assert post_report("thatkhe", date="2025-10-01").get_json()["errors"] == {"date": "outside_event"}
    assert post_report("thatkhe", date="08/10/2025").get_json()["errors"] == {"date": "invalid_date"}


def test_closed_event_takes_no_new_reports(post_report, matmo):
    from coordination.events import close_event
    close_event(matmo)
    db.session.commit()
    response = post_report("thatkhe", figures={"houses_collapsed": 1})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"event": "event_closed"}


def test_unknown_event_or_commune_is_404(post_report, matmo, auth, client):
    assert post_report("admin", commune="99999").status_code == 404
    body = {"event": "NOPE", "commune": "06040", "date": "2025-10-08", "submission_id": "x"}
    assert client.post("/api/v1/reports", json=body, headers=auth("thatkhe")).status_code == 404


def test_missing_fields_and_bad_json_are_explained(client, auth, matmo):
    response = client.post("/api/v1/reports", json={"figures": []}, headers=auth("thatkhe"))
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"event": "required", "commune": "required",
                                             "date": "required", "submission_id": "required",
                                             "figures": "invalid"}
    response = client.post("/api/v1/reports", data="{not json", headers={
        **auth("thatkhe"), "Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["errors"] == {"body": "invalid_json"}


def test_api_needs_a_valid_token(client, matmo):
    assert client.get("/api/v1/events").status_code == 401
    bad = client.get("/api/v1/events", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["errors"] == {"request": "unauthorized"}


def test_commune_outside_event_scope_is_refused(client, auth, post_report):
    client.post("/api/v1/events", headers=auth("admin"), json={
        "code": "BACKHE-2025", "name": "Vỡ đập thủy điện Bắc Khê 1", "type": "flood",
        "start_date": "2025-10-07", "communes": ["06019"]})
    body = {"event": "BACKHE-2025", "commune": "06040", "date": "2025-10-08",
            "submission_id": "s1", "figures": {}}
    response = client.post("/api/v1/reports", json=body, headers=auth("thatkhe"))
    assert response.status_code == 422 and response.get_json()["errors"] == {
        "commune": "commune_outside_event"}


def test_province_staff_enter_reports_only_as_phone_entries(post_report, matmo):
    # issue 10: province staff write for any commune, but only through "Nhập báo cáo qua điện
    # thoại" (channel phone, see test_offline_form), so such entries are always labelled;
    # communes only for their own
    assert post_report("province", commune="06040").status_code == 403
    assert post_report("other", commune="06040").status_code == 403
