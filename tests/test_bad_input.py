"""A user's mistake gets a clear answer, never a 500."""
import pytest

BAD_REPORTS = [
    [],
    "chuỗi",
    {"event": 1, "commune": None, "date": [], "submission_id": {}},
    {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08", "submission_id": "a",
     "figures": {"houses_collapsed": {"x": 1}}},
    {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08", "submission_id": "b",
     "figures": {"houses_collapsed": "1e400"}},
    {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08", "submission_id": "c",
     "figures": {"houses_collapsed": "NaN", "people_dead": True}},
    {"event": "MATMO-2025", "commune": "06040", "date": "9999-99-99", "submission_id": "d"},
    {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08", "submission_id": "e" * 500},
    {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08", "submission_id": "f",
     "note": "x" * 10_000},
    {"event": "MATMO-2025", "commune": "06040", "date": "2025-10-08", "submission_id": "g",
     "note": ["không phải chuỗi"]},
]


@pytest.mark.parametrize("body", BAD_REPORTS)
def test_malformed_reports_get_a_4xx_with_reasons(client, auth, matmo, body):
    response = client.post("/api/v1/reports", json=body, headers=auth("thatkhe"))
    assert 400 <= response.status_code < 500
    assert response.get_json()["errors"]


@pytest.mark.parametrize("query", ["date=hôm-nay", "date=2025-02-30", "area=%00", "area=<b>",
                                   "date=" + "9" * 300])
def test_odd_query_parameters_are_400_or_404(client, auth, matmo, query):
    response = client.get(f"/api/v1/events/MATMO-2025/summary?{query}", headers=auth("province"))
    assert response.status_code in (400, 404)


def test_unknown_pages_are_a_vietnamese_404(client, users):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and "Không tìm thấy" in response.get_data(as_text=True)


def test_a_nul_character_in_a_report_note_is_a_clear_400(client, auth, matmo, post_report):
    response = post_report("thatkhe", note="sạt lở\x00")
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"body": "invalid_characters"}


def test_a_nul_character_in_a_login_form_is_a_clear_400(client, users):
    response = client.post("/login", data={"username": "thatkhe\x00", "password": "x"})
    assert response.status_code == 400
    assert "ký tự không hợp lệ" in response.get_data(as_text=True)
