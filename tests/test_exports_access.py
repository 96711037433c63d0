"""The consolidated table page, download names and types, and who may export what."""
import csv
import io

import pytest

from conftest import login
from conftest import EVENT, export

TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8", "hxl": "text/csv; charset=utf-8",
         "geojson": "application/geo+json", "long": "text/csv; charset=utf-8"}
NAMES = {"xlsx": ".xlsx", "csv": ".csv", "hxl": "_hxl.csv", "geojson": ".geojson", "long": "_dai.csv"}


def test_province_reads_the_consolidated_table_with_title_counts_and_totals(client, users, damage):
    login(client, "tinh")
    page = client.get(f"/events/{EVENT}/table?date=2025-10-08").get_data(as_text=True)
    assert "Bảng tổng hợp thiệt hại: Bão số 11 (Matmo) và mưa lũ" in page
    assert "Toàn tỉnh, tính đến 14 giờ ngày 08/10/2025" in page
    assert "Đã báo cáo <strong>2</strong>/65" in page and "(trong đó 1 dùng số liệu ngày trước)" in page
    assert "Số liệu ngày 07/10/2025" in page  # Hữu Lũng's stale figures carry their date
    assert "Tổng cộng" in page and "1.200.000" in page and "12.345,75" in page
    assert 'colspan="5" class="text-center">Người' in page and ">cái</th>" in page
    for fmt in ("xlsx", "pdf", "csv", "hxl", "geojson", "long"):
        assert f"/events/{EVENT}/download?format={fmt}&amp;date=2025-10-08" in page
    assert f'href="/events/{EVENT}/table">Bảng tổng hợp</a>' in page  # menu entry


def test_change_since_the_previous_day_is_shown_on_request(client, users, damage):
    login(client, "tinh")
    plain = client.get(f"/events/{EVENT}/table?date=2025-10-08").get_data(as_text=True)
    assert 'class="delta"' not in plain
    page = client.get(f"/events/{EVENT}/table?date=2025-10-08&change=1").get_data(as_text=True)
    row = page.split('data-code="06040"')[1].split("</tr>")[0]
    assert '<div class="delta">+2</div>' in row  # houses collapsed: 2 on the 7th, 4 on the 8th
    total = page.split('id="total-row"')[1].split("</tr>")[0]
    assert '<div class="delta">+1.200.000</div>' in total


def test_table_of_an_area_names_the_area_and_links_its_downloads(client, users, damage):
    login(client, "tinh")
    page = client.get(f"/events/{EVENT}/table?date=2025-10-08&area=ky-cung").get_data(as_text=True)
    assert "Lưu vực sông Kỳ Cùng, tính đến 14 giờ ngày 08/10/2025" in page
    assert "Xã Hữu Lũng" not in page.split('id="consolidated"')[1]
    assert "format=xlsx&amp;date=2025-10-08&amp;area=ky-cung" in page


def test_every_format_has_its_content_type_and_file_name(client, auth, damage):
    for fmt, content_type in TYPES.items():
        response = export(client, auth, fmt, date="2025-10-08", area="ky-cung")
        assert response.status_code == 200, fmt
        assert response.headers["Content-Type"] == content_type
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename=thiet-hai_MATMO-2025_2025-10-08_ky-cung{NAMES[fmt]}")
    whole = export(client, auth, "csv", date="2025-10-08")
    assert "thiet-hai_MATMO-2025_2025-10-08_toan-tinh.csv" in whole.headers["Content-Disposition"]


def test_web_download_uses_the_session_login(client, users, damage):
    login(client, "tinh")
    response = client.get(f"/events/{EVENT}/download?format=xlsx&date=2025-10-08")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "toan-tinh.xlsx" in response.headers["Content-Disposition"]


def test_anonymous_users_are_sent_to_log_in(client, damage):
    assert client.get(f"/api/v1/events/{EVENT}/export?format=csv").status_code == 401
    for path in (f"/events/{EVENT}/table", f"/events/{EVENT}/download?format=csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_commune_officer_exports_only_its_own_commune(client, auth, damage):
    response = export(client, auth, "csv", who="thatkhe", date="2025-10-08")
    assert response.status_code == 200
    assert "thiet-hai_MATMO-2025_2025-10-08_xa-06040.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["commune_code"] for r in rows] == ["06040"] and rows[0]["houses_collapsed"] == "4"
    same = export(client, auth, "csv", who="thatkhe", date="2025-10-08", commune="06040")
    assert same.status_code == 200
    for params in ({"area": "ky-cung"}, {"area": "province"}, {"commune": "06385"}):
        refused = export(client, auth, "xlsx", who="thatkhe", date="2025-10-08", **params)
        if params == {"area": "province"}:  # 'province' means no area: still its own commune
            assert refused.status_code == 200
            continue
        assert refused.status_code == 403
        assert refused.get_json()["errors"] == {"scope": "forbidden_scope"}


def test_commune_officer_table_page_shows_only_its_commune(client, users, damage):
    login(client, "thatkhe")
    page = client.get(f"/events/{EVENT}/table?date=2025-10-08").get_data(as_text=True)
    body = page.split('id="consolidated"')[1]
    assert "Xã Thất Khê" in body and "Xã Hữu Lũng" not in body and "Phường Đông Kinh" not in body
    assert "Xã Thất Khê, tính đến 14 giờ ngày 08/10/2025" in page
    assert client.get(f"/events/{EVENT}/table?area=ky-cung").status_code == 403


@pytest.mark.parametrize("params, status, errors", [
    ({"format": "docx"}, 400, {"format": "unknown_format"}),
    ({}, 400, {"format": "unknown_format"}),
    ({"format": "csv", "date": "2025-13-40"}, 400, {"date": "invalid_date"}),
    ({"format": "csv", "area": "nowhere"}, 404, {"area": "not_found"}),
    ({"format": "csv", "commune": "99999"}, 404, {"commune": "not_found"}),
])
def test_bad_parameters_get_clear_codes(client, auth, matmo, params, status, errors):
    response = client.get(f"/api/v1/events/{EVENT}/export", query_string=params,
                          headers=auth("province"))
    assert response.status_code == status
    assert response.get_json()["errors"] == errors


def test_unknown_event_is_404_in_api_and_page(client, auth, users):
    response = client.get("/api/v1/events/NOPE/export?format=csv", headers=auth("province"))
    assert response.status_code == 404 and response.get_json()["errors"] == {"event": "not_found"}
    login(client, "tinh")
    page = client.get("/events/NOPE/table")
    assert page.status_code == 404 and "Không tìm thấy sự kiện" in page.get_data(as_text=True)
    bad = client.get("/events/NOPE/download?format=zip")
    assert bad.status_code == 400
