"""The province downloads the consolidated damage table in every format, and every
number in every file is the number the summary API gives for the same selection."""
import csv
import io
import json
from datetime import date, datetime

import geopandas as gpd
import hxl
import openpyxl
import pandas as pd
import pytest
import pypdf
from sqlalchemy import update

from coordination.areas.models import Commune
from coordination.exports.safe import neutralise
from coordination.extensions import db
from coordination.web import vn_number

EVENT = "MATMO-2025"
PAYLOAD_NOTE = '=HYPERLINK("http://x","y")'


@pytest.fixture
def damage(matmo, users, post_report, at_local):
    """Thất Khê reports on 7 and 8 Oct (corrected late on the 8th, with a formula-like note),
    Hữu Lũng only on the 7th (stale on the 8th), Đông Kinh (Kỳ Cùng) on the 8th via admin."""
    at_local(2025, 10, 7, 10, 0)
    for who, figures in (("thatkhe", {"houses_collapsed": 2, "rice_damaged_ha": 1.5, "people_dead": 1}),
                         ("other", {"houses_collapsed": 1, "households_evacuated": 12,
                                    "economic_loss_million_vnd": 1234.5})):
        assert post_report(who, date="2025-10-07", figures=figures).status_code == 201
    at_local(2025, 10, 8, 13, 0)
    assert post_report("thatkhe", figures={"houses_collapsed": 3, "rice_damaged_ha": 2.25,
                                           "people_dead": 1, "roads_damaged_m": 1500}).status_code == 201
    assert post_report("admin", commune="05977", figures={
        "houses_flooded": 1_200_000, "landslide_volume_m3": 12345.75}).status_code == 201
    at_local(2025, 10, 8, 15, 30)
    assert post_report("thatkhe", note=PAYLOAD_NOTE, figures={
        "houses_collapsed": 4, "rice_damaged_ha": 2.25, "people_dead": 1,
        "roads_damaged_m": 1500}).status_code == 201
    at_local(2025, 10, 8, 16, 0)


def api_summary(client, auth, **params) -> dict:
    response = client.get(f"/api/v1/events/{EVENT}/summary", query_string=params,
                          headers=auth("province"))
    assert response.status_code == 200
    return response.get_json()


def export(client, auth, fmt, who="province", **params):
    return client.get(f"/api/v1/events/{EVENT}/export",
                      query_string={"format": fmt, **params}, headers=auth(who))


def indicators(client, auth) -> list[dict]:
    return client.get("/api/v1/indicators", headers=auth("province")).get_json()["indicators"]


# --- XLSX ------------------------------------------------------------------------

def test_xlsx_every_cell_equals_the_api_summary(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08")
    catalog = indicators(client, auth)
    response = export(client, auth, "xlsx", date="2025-10-08")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Tổng hợp"]
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0][0] == "Bảng tổng hợp thiệt hại: Bão số 11 (Matmo) và mưa lũ"
    assert rows[1][0] == "Toàn tỉnh, tính đến 14 giờ ngày 08/10/2025"
    assert f"Đã báo cáo {summary['reported']}/{summary['expected']}" in rows[2][0]
    group_row, label_row, unit_row = rows[4], rows[5], rows[6]
    first = 3  # STT, code, name
    assert group_row[:first] == ("STT", "Mã xã", "Xã/phường")
    assert [label_row[first + n] for n in range(len(catalog))] == [i["label"] for i in catalog]
    assert [unit_row[first + n] for n in range(len(catalog))] == [i["unit"] for i in catalog]
    assert group_row[first] == "Người" and "O5:T5" in {str(r) for r in sheet.merged_cells.ranges}

    data = rows[7:7 + summary["expected"]]
    assert len(data) == len(summary["communes"]) == 65
    for stt, (row, commune) in enumerate(zip(data, summary["communes"]), start=1):
        assert row[:3] == (stt, commune["code"], commune["name"])
        for n, ind in enumerate(catalog):
            assert row[first + n] == commune["figures"].get(ind["code"]), (commune["code"], ind["code"])
        trailing = row[first + len(catalog):]
        assert trailing[2] == commune["version"]
        expected_date = date.fromisoformat(commune["report_date"]) if commune["report_date"] else None
        assert (trailing[1].date() if trailing[1] else None) == expected_date
    total = rows[7 + summary["expected"]]
    assert total[0] == "Tổng cộng"
    for n, ind in enumerate(catalog):
        column = [row[first + n] for row in data if row[first + n] is not None]
        assert total[first + n] == summary["totals"].get(ind["code"])
        if column:
            assert total[first + n] == pytest.approx(sum(column))
    assert summary["totals"]["houses_flooded"] == 1_200_000
    assert summary["totals"]["houses_collapsed"] == 5  # 4 (v2) + 1 (stale Hữu Lũng)


def test_xlsx_is_an_official_printable_layout_with_metadata_and_versions(client, auth, damage):
    book = openpyxl.load_workbook(io.BytesIO(export(client, auth, "xlsx", date="2025-10-08").data))
    assert book.sheetnames == ["Tổng hợp", "Phiên bản báo cáo", "Thông tin"]
    sheet = book["Tổng hợp"]
    assert sheet.freeze_panes == "D8"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.print_title_rows == "$5:$7"
    column = {c.value: c.column for c in sheet[6] if c.value}
    assert sheet.cell(row=8, column=3).value == "Phường Đông Kinh"  # first commune by code
    flooded = sheet.cell(row=8, column=column["Nhà bị ngập"])
    assert flooded.value == 1_200_000 and flooded.number_format == "#,##0"
    volume = sheet.cell(row=8, column=column["Khối lượng đất đá sạt lở"])
    assert volume.value == 12345.75 and volume.number_format == "#,##0.00"

    versions = list(book["Phiên bản báo cáo"].iter_rows(min_row=2, values_only=True))
    by_code = {v[1]: v for v in versions}
    assert set(by_code) == {"05977", "06040", "06385"}
    assert by_code["06040"][4] == 2 and by_code["06040"][5] == "08/10/2025 15:30:00"
    assert by_code["06040"][6] == "Không" and by_code["06040"][7] == "Nguyễn Văn An"
    assert by_code["06385"][3] == datetime(2025, 10, 7)

    meta = dict(book["Thông tin"].iter_rows(values_only=True))
    assert meta["Sự kiện"] == "Bão số 11 (Matmo) và mưa lũ"
    assert meta["Ngày số liệu"] == "08/10/2025" and meta["Phạm vi"] == "Toàn tỉnh"
    assert meta["Thời điểm xuất (giờ địa phương)"] == "08/10/2025 16:00:00"
    assert meta["Nguồn"]


def test_xlsx_of_an_area_holds_only_its_communes(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08", area="ky-cung")
    response = export(client, auth, "xlsx", date="2025-10-08", area="ky-cung")
    assert "thiet-hai_MATMO-2025_2025-10-08_ky-cung.xlsx" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Tổng hợp"]
    assert sheet["A2"].value.startswith("Lưu vực sông Kỳ Cùng, tính đến 14 giờ")
    codes = [sheet.cell(row=r, column=2).value for r in range(8, 8 + summary["expected"])]
    assert codes == [c["code"] for c in summary["communes"]]
    assert sheet.cell(row=8 + summary["expected"], column=1).value == "Tổng cộng"
    assert "06385" not in codes  # Hữu Lũng is outside the Kỳ Cùng basin


# --- CSV, HXL, GeoJSON -------------------------------------------------------------

def test_csv_has_a_bom_one_row_per_commune_and_the_summary_numbers(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08")
    catalog = indicators(client, auth)
    response = export(client, auth, "csv", date="2025-10-08")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())

    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0])[:5] == ["commune_code", "commune_name", "status", "report_date", "version"]
    assert list(rows[0])[5:-1] == [i["code"] for i in catalog]
    assert [r["commune_code"] for r in rows] == [c["code"] for c in summary["communes"]]
    for row, commune in zip(rows, summary["communes"]):
        for ind in catalog:
            value = commune["figures"].get(ind["code"])
            assert row[ind["code"]] == ("" if value is None else vn_free(value))

    frame = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig",
                        dtype={"commune_code": str})
    assert len(frame) == 65 and frame.loc[0, "commune_name"] == "Phường Đông Kinh"
    for code, total in summary["totals"].items():
        assert frame[code].sum() == pytest.approx(total)
    thatkhe = frame.set_index("commune_code").loc["06040"]
    assert thatkhe["houses_collapsed"] == 4 and thatkhe["status"] == "reported"


def vn_free(value: float) -> str:
    """How the CSV writes a number: 4 not 4.0, 2.25 as is."""
    return str(int(value)) if float(value).is_integer() else str(value)


def test_hxl_parses_with_libhxl_and_carries_the_summary(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08")
    catalog = indicators(client, auth)
    response = export(client, auth, "hxl", date="2025-10-08")
    assert "_hxl.csv" in response.headers["Content-Disposition"]
    data = hxl.data(io.BytesIO(response.data))
    tags = [c.display_tag for c in data.columns]
    assert tags[:3] == ["#adm3+code", "#adm3+name", "#date+reported"]
    assert "#affected+houses+destroyed" in tags
    assert tags[4:] == [i["hxl"] for i in catalog]
    rows = {row.get("#adm3+code"): row for row in data}
    assert len(rows) == 65
    for commune in summary["communes"]:
        row = rows[commune["code"]]
        assert row.get("#adm3+name") == commune["name"]
        assert (row.get("#date+reported") or None) == commune["report_date"]
        for ind in catalog:
            value = commune["figures"].get(ind["code"])
            cell = row.get(ind["hxl"])
            assert (float(cell) if cell else None) == value, (commune["code"], ind["code"])
    total = sum(float(r.get("#affected+houses+destroyed") or 0) for r in rows.values())
    assert total == summary["totals"]["houses_collapsed"]


def test_geojson_opens_in_geopandas_with_figures_in_epsg4326(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08")
    response = export(client, auth, "geojson", date="2025-10-08")
    assert response.headers["Content-Type"] == "application/geo+json"
    json.loads(response.data)  # valid JSON
    frame = gpd.read_file(io.BytesIO(response.data))
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 65 and frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()
    minx, miny, maxx, maxy = frame.total_bounds
    assert 105 < minx < maxx < 108 and 21 < miny < maxy < 23  # Lạng Sơn in lon/lat
    by_code = frame.set_index("code")
    for commune in summary["communes"]:
        for code, value in commune["figures"].items():
            assert by_code.loc[commune["code"], code] == value
        assert by_code.loc[commune["code"], "status"] == commune["status"]
    for code, total in summary["totals"].items():
        assert frame[code].sum() == pytest.approx(total)


# --- PDF and the long table ------------------------------------------------------

def test_pdf_bulletin_has_the_title_the_totals_and_the_map(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08")
    response = export(client, auth, "pdf", date="2025-10-08")
    assert response.headers["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    first = reader.pages[0]
    assert float(first.mediabox.width) > float(first.mediabox.height)  # landscape
    assert round(float(first.mediabox.width)) == 842  # A4
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Bảng tổng hợp thiệt hại: Bão số 11 (Matmo) và mưa lũ" in text
    assert "Toàn tỉnh, tính đến 14 giờ ngày 08/10/2025" in text
    assert "Tổng cộng" in text and "Xã Thất Khê" in text and "Số liệu ngày 07/10/2025" in text
    for code, total in summary["totals"].items():
        assert vn_number(total) in text, code
    assert "1.200.000" in text and "12.345,75" in text
    fonts = {font for page in reader.pages
             for font in page["/Resources"]["/Font"].values()
             if "DejaVu" in str(font.get_object()["/BaseFont"])}
    assert fonts, "DejaVu Sans is embedded"
    assert len(first.images) == 1  # the map of collapsed houses


def test_long_table_gives_each_day_the_numbers_of_that_days_summary(client, auth, damage):
    response = export(client, auth, "long", date="2025-10-08")
    assert "thiet-hai_MATMO-2025_2025-10-08_toan-tinh_dai.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    frame = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig",
                        dtype={"commune_code": str})
    assert sorted(frame["date"].unique()) == ["2025-10-07", "2025-10-08"]  # nothing on the 6th
    for day in ("2025-10-06", "2025-10-07", "2025-10-08"):
        summary = api_summary(client, auth, date=day)
        rows = frame[frame["date"] == day]
        got = {(r.commune_code, r.indicator): r.value for r in rows.itertuples()}
        expected = {(c["code"], k): v for c in summary["communes"] for k, v in c["figures"].items()}
        assert got == expected
    stale = frame[(frame["date"] == "2025-10-08") & (frame["commune_code"] == "06385")]
    assert set(stale["status"]) == {"stale"} and set(stale["report_date"]) == {"2025-10-07"}


# --- formula injection -----------------------------------------------------------

def test_formula_payloads_in_notes_and_names_come_out_inert(client, auth, damage):
    db.session.execute(update(Commune).where(Commune.code == "06385").values(name="@SUM(1)"))
    db.session.commit()
    book = openpyxl.load_workbook(io.BytesIO(export(client, auth, "xlsx", date="2025-10-08").data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"], "no formulas at all"
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'" + PAYLOAD_NOTE in texts and "'@SUM(1)" in texts
    assert PAYLOAD_NOTE not in texts and "@SUM(1)" not in texts
    numbers = [c for c in cells if c.data_type == "n" and not isinstance(c.value, datetime)]
    assert any(c.value == 1_200_000 for c in numbers)  # figures stay numeric cells

    rows = list(csv.reader(io.StringIO(export(client, auth, "csv", date="2025-10-08")
                                       .data.decode("utf-8-sig"))))
    fields = [f for row in rows for f in row]
    assert "'" + PAYLOAD_NOTE in fields and "'@SUM(1)" in fields
    assert not [f for f in fields if f[:1] in ("=", "+", "@", "\t", "\r")]
    hxl_fields = [f for row in csv.reader(io.StringIO(
        export(client, auth, "hxl", date="2025-10-08").data.decode())) for f in row]
    assert "'@SUM(1)" in hxl_fields and "@SUM(1)" not in hxl_fields


@pytest.mark.parametrize("text, safe", [
    ("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-2", "'-2"), ("@SUM(1)", "'@SUM(1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Xã Thất Khê", "Xã Thất Khê"), ("", ""),
    ("a=b", "a=b"), (-2, -2), (1.5, 1.5), (None, None)])
def test_only_text_starting_like_a_formula_is_neutralised(text, safe):
    assert neutralise(text) == safe
