"""The province sees, for a date D, each commune's latest figures on or before D."""
from datetime import date

from coordination.reports.aggregation import summarize


def test_summary_uses_latest_report_and_marks_older_ones_stale(
        client, auth, post_report, matmo, at_local):
    at_local(2025, 10, 10, 9, 0)
    post_report("thatkhe", date="2025-10-08", figures={"houses_collapsed": 2, "people_dead": 1})
    post_report("thatkhe", date="2025-10-09", figures={"houses_collapsed": 5, "people_dead": 1})
    post_report("other", date="2025-10-08", figures={"houses_collapsed": 7})

    body = client.get("/api/v1/events/MATMO-2025/summary?date=2025-10-09",
                      headers=auth("province")).get_json()
    assert body["totals"] == {"houses_collapsed": 12, "people_dead": 1}
    assert body["reported"] == 1 and body["stale"] == 1 and body["missing"] == 64
    communes = {c["code"]: c for c in body["communes"]}
    assert communes["06040"]["report_date"] == "2025-10-09" and not communes["06040"]["stale"]
    assert communes["06385"]["stale"] and communes["06385"]["report_date"] == "2025-10-08"
    assert communes["06001"]["status"] == "missing" and communes["06001"]["figures"] == {}
    assert len(body["communes"]) == 65


def test_summary_of_an_earlier_date_ignores_later_reports(post_report, matmo, at_local):
    at_local(2025, 10, 10, 9, 0)
    post_report("thatkhe", date="2025-10-08", figures={"houses_collapsed": 2})
    post_report("thatkhe", date="2025-10-09", figures={"houses_collapsed": 5})
    assert summarize(matmo, date(2025, 10, 8)).totals == {"houses_collapsed": 2}
    assert summarize(matmo, date(2025, 10, 7)).totals == {}


def test_corrections_replace_figures_in_totals(post_report, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe", figures={"houses_collapsed": 2})
    post_report("thatkhe", figures={"houses_collapsed": 3})
    assert summarize(matmo, date(2025, 10, 8)).totals == {"houses_collapsed": 3}


def test_area_totals_cover_only_its_communes(client, auth, post_report, matmo, at_local):
    at_local(2025, 10, 8, 9, 0)
    post_report("thatkhe", figures={"houses_flooded": 120})   # Thất Khê, on the Kỳ Cùng
    post_report("other", figures={"houses_flooded": 300})     # Hữu Lũng, on the Thương
    ky_cung = client.get("/api/v1/events/MATMO-2025/summary?date=2025-10-08&area=ky-cung",
                         headers=auth("province")).get_json()
    assert ky_cung["totals"] == {"houses_flooded": 120} and len(ky_cung["communes"]) == 43
    huu_lung = summarize(matmo, date(2025, 10, 8), "huu-lung")
    assert huu_lung.totals == {"houses_flooded": 300} and huu_lung.reported == 1


def test_summary_rejects_bad_parameters(client, auth, matmo):
    base = "/api/v1/events/MATMO-2025/summary"
    bad_date = client.get(base + "?date=2025-13-01", headers=auth("province"))
    assert bad_date.status_code == 400 and bad_date.get_json()["errors"] == {"date": "invalid_date"}
    assert client.get(base + "?area=nowhere", headers=auth("province")).status_code == 404
    assert client.get("/api/v1/events/NOPE/summary", headers=auth("province")).status_code == 404
    assert client.get(base, headers=auth("thatkhe")).status_code == 403
