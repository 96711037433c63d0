"""The province downloads the consolidated damage table in every format, and every
number in every file is the number the summary API gives for the same selection."""
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import hxl
import openpyxl
import pandas as pd
import pytest
import pypdf
from sqlalchemy import select, text, update

from coordination.areas.models import Commune
from coordination.exports.safe import neutralise
from coordination.extensions import db
from coordination.formatting import vn_number
from coordination.maps.incidents import Incident
from conftest import PAYLOAD_NOTE, api_summary, export



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
    assert "#indicator+num+houses+destroyed" in tags
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
    total = sum(float(r.get("#indicator+num+houses+destroyed") or 0) for r in rows.values())
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
    # strings_to_formulas=False stores them as plain text: shown as typed, no apostrophe
    assert PAYLOAD_NOTE in texts and "@SUM(1)" in texts
    assert not [t for t in texts if t.startswith("'")]
    assert {c.data_type for c in cells if c.value in (PAYLOAD_NOTE, "@SUM(1)")} == {"s"}
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



# --- the official quick report (báo cáo nhanh) -------------------------------------------

def keep(name: str, data: bytes) -> None:
    """KEEP_DOCUMENTS=/some/folder keeps the documents the tests parse, to look at them."""
    folder = os.environ.get("KEEP_DOCUMENTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def incidents(damage, matmo, users):
    """A landslide at Thất Khê at 10:00 on the 8th, and a dam breach recorded at 15:00 (after 14 h)."""
    for kind, commune, description, hour in (("landslide", "06040", "Sạt lở taluy dương QL4A, tắc đường", 10),
                                      ("dam_breach", "06385", "Vỡ đập Khuôn Ruồng", 15)):
        db.session.add(Incident(event_id=matmo.id, kind=kind, commune_code=commune,
                                description=description, created_by=users["province"].id,
                                created_at=datetime(2025, 10, 8, hour - 7, 0)))  # UTC
    db.session.commit()


def test_bulletin_pdf_is_an_official_quick_report_with_every_total(client, auth, incidents):
    summary = api_summary(client, auth, date="2025-10-08")
    response = export(client, auth, "bulletin", date="2025-10-08")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert ("thiet-hai_MATMO-2025_2025-10-08_toan-tinh_bao-cao-nhanh.pdf"
            in response.headers["Content-Disposition"])
    keep("bulletin.pdf", response.data)
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    first = reader.pages[0]
    assert (round(float(first.mediabox.width)), round(float(first.mediabox.height))) == (595, 842)
    text = pdf_text(response.data)
    flat = " ".join(text.split())
    # Nghị định 30/2020: agency block, Quốc hiệu and tiêu ngữ, number, place and date.
    for part in ("UBND TỈNH LẠNG SƠN", "BAN CHỈ HUY PHÒNG THỦ DÂN SỰ TỈNH",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Số: /BC-BCH", "Lạng Sơn, ngày 08 tháng 10 năm 2025",
                 "BÁO CÁO NHANH", "Tình hình thiệt hại do thiên tai",
                 "Bão số 11 (Matmo) và mưa lũ, tính đến 14 giờ ngày 08/10/2025",
                 "Nơi nhận:", "- Lưu: VT.", "KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"):
        assert part in flat, part
    # The situation: communes reported / missing, incidents up to 14 h only.
    assert (f"{summary['reported']}/{summary['expected']} xã, phường đã gửi báo cáo trong ngày; "
            f"{summary['missing']} xã, phường chưa báo cáo") in flat
    assert "Sạt lở taluy dương QL4A, tắc đường" in flat and "Vỡ đập Khuôn Ruồng" not in flat
    # Indicators are rows, in catalog order, under group numerals.
    order = [flat.index(label) for label in ("I Người", "Số người chết", "II Nhà ở", "Nhà bị ngập",
                                             "X Ước tính thiệt hại")]
    assert order == sorted(order)
    assert "STT Chỉ tiêu Đơn vị tính Tổng cộng Lưu vực sông Kỳ Cùng" in flat
    for code, total in summary["totals"].items():
        assert vn_number(total) in text, code
    assert "Nhà bị ngập cái 1.200.000 1.200.000" in flat  # total, then Kỳ Cùng
    assert "12.345,75" in text and "1.234,5" in text and "2,25" in text
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("LiberationSerif" in f for f in fonts), fonts  # embedded Times metrics
    assert all("/FontFile2" in font.get_object()["/DescendantFonts"][0].get_object()
               ["/FontDescriptor"].get_object() for page in reader.pages
               for font in page["/Resources"]["/Font"].values())


def bulletin_rows(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Báo cáo nhanh"]
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    header = next(n for n, r in enumerate(rows) if r[0] == "STT")
    return book, sheet, rows, header


def test_bulletin_xlsx_has_indicators_as_rows_equal_to_the_summaries(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08")
    areas = {a: api_summary(client, auth, date="2025-10-08", area=a) for a in ("ky-cung", "huu-lung")}
    catalog = indicators(client, auth)
    response = export(client, auth, "bulletin-xlsx", date="2025-10-08")
    assert "_bao-cao-nhanh.xlsx" in response.headers["Content-Disposition"]
    keep("bulletin.xlsx", response.data)
    book, sheet, rows, header = bulletin_rows(response.data)
    assert rows[0][0] == "UBND TỈNH LẠNG SƠN" and rows[0][2] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert rows[1][0] == "BAN CHỈ HUY PHÒNG THỦ DÂN SỰ TỈNH" and rows[1][2] == "Độc lập - Tự do - Hạnh phúc"
    assert rows[3][0].startswith("Số:") and rows[3][2] == "Lạng Sơn, ngày 08 tháng 10 năm 2025"
    assert [r[0] for r in rows[5:8]] == ["BÁO CÁO NHANH", "Tình hình thiệt hại do thiên tai",
                                         "Bão số 11 (Matmo) và mưa lũ, tính đến 14 giờ ngày 08/10/2025"]
    assert rows[header] == ("STT", "Chỉ tiêu", "Đơn vị tính", "Tổng cộng", "Lưu vực sông Kỳ Cùng",
                            "Vùng ngập lũ sông Thương – Hữu Lũng", "Các xã, phường khác")
    body = rows[header + 1:header + 1 + len(catalog) + 10]
    groups = [r for r in body if r[2] is None and r[0] in ("I", "II", "III", "IV", "V", "VI", "VII",
                                                          "VIII", "IX", "X")]
    assert [g[0] for g in groups] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
    assert [g[1] for g in groups][:2] == ["Người", "Nhà ở"]
    lines = [r for r in body if r not in groups]
    assert [r[1] for r in lines] == [i["label"] for i in catalog]
    for row, ind in zip(lines, catalog):
        code = ind["code"]
        assert row[2] == ind["unit"]
        assert row[3] == summary["totals"].get(code), code
        assert row[4] == areas["ky-cung"]["totals"].get(code), code
        assert row[5] == areas["huu-lung"]["totals"].get(code), code
        rest = (summary["totals"].get(code) or 0) - sum(a["totals"].get(code, 0) for a in areas.values())
        assert (row[6] or 0) == pytest.approx(rest), code
    houses = next(r for r in lines if r[1] == "Nhà bị ngập")
    assert houses[3] == 1_200_000 and isinstance(houses[3], int)
    # Printable: A4 portrait, one page wide, the table header repeated on every page.
    assert sheet.page_setup.orientation == "portrait" and int(sheet.page_setup.paperSize) == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)  # 1 wide
    assert sheet.print_title_rows == f"${header + 1}:${header + 1}"
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith("'")]
    assert any(t.startswith("Nơi nhận") for t in texts) and "KT. TRƯỞNG BAN" in texts


def test_admin_sets_the_agency_and_signer_of_the_quick_report(app, client, auth, users, damage):
    from conftest import login, post_form

    province = app.test_client()
    login(province, "tinh")
    assert province.get("/admin/settings").status_code == 403  # province officers cannot
    login(client, "admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="UBND TỈNH LẠNG SƠN"' in page and "Nơi nhận" in page
    bad = post_form(client, "/admin/settings", {"agency_name": "", "signer_title": "X",
                                               "document_number": "1", "place_name": "Y",
                                               "recipients": "Z"})
    assert bad.status_code == 422 and "Bắt buộc nhập." in bad.get_data(as_text=True)
    ok = post_form(client, "/admin/settings", {
        "agency_parent": "UBND TỈNH LẠNG SƠN", "agency_name": "Ban Chỉ huy PTDS tỉnh",
        "document_number": "{nam}-27/BC-PTDS", "place_name": "Lạng Sơn",
        "signer_authority": "TM. BAN CHỈ HUY", "signer_title": "Trưởng ban",
        "signer_name": "Nguyễn Văn Bình", "recipients": "- UBND tỉnh (b/c);\nLưu: VT, PCTT."})
    assert ok.status_code == 302
    flat = " ".join(pdf_text(export(client, auth, "bulletin", date="2025-10-08").data).split())
    for part in ("BAN CHỈ HUY PTDS TỈNH", "Số: 2025-27/BC-PTDS", "TM. BAN CHỈ HUY", "TRƯỞNG BAN",
                 "Nguyễn Văn Bình", "- UBND tỉnh (b/c);", "- Lưu: VT, PCTT."):
        assert part in flat, part


def test_the_bulletin_of_an_area_has_only_the_total_column(client, auth, damage):
    summary = api_summary(client, auth, date="2025-10-08", area="huu-lung")
    response = export(client, auth, "bulletin-xlsx", date="2025-10-08", area="huu-lung")
    _, _, rows, header = bulletin_rows(response.data)
    assert rows[header] == ("STT", "Chỉ tiêu", "Đơn vị tính", "Tổng cộng")
    assert "(Vùng ngập lũ sông Thương – Hữu Lũng)" in rows[7][0]
    collapsed = next(r for r in rows[header:] if r[1] and r[1].startswith("Nhà bị sập đổ"))
    assert collapsed[3] == summary["totals"]["houses_collapsed"] == 1


def test_a_commune_officer_gets_the_bulletin_of_their_own_commune_only(client, auth, damage):
    assert export(client, auth, "bulletin", who="thatkhe", area="ky-cung").status_code == 403
    response = export(client, auth, "bulletin", who="thatkhe", date="2025-10-08")
    assert response.status_code == 200
    flat = " ".join(pdf_text(response.data).split())
    assert "(Xã Thất Khê)" in flat and "1/1 xã, phường đã gửi báo cáo" in flat


# --- printing the consolidated XLSX ------------------------------------------------------

def test_xlsx_prints_at_most_twelve_indicators_a_page_with_titles_repeated(client, auth, damage):
    catalog = indicators(client, auth)
    book = openpyxl.load_workbook(io.BytesIO(export(client, auth, "xlsx", date="2025-10-08").data))
    sheet = book["Tổng hợp"]
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9
    assert sheet.print_title_rows == "$5:$7" and sheet.print_title_cols == "$A:$C"
    assert not sheet.sheet_properties.pageSetUpPr.fitToPage  # no shrinking to 30 %
    assert int(sheet.page_setup.scale) >= 80
    breaks = [b.id for b in sheet.col_breaks.brk]  # a page ends after these columns
    edges = [3] + breaks + [3 + len(catalog)]
    assert all(0 < b - a <= 12 for a, b in zip(edges, edges[1:])), edges
    group_starts = {3 + n for n, ind in enumerate(catalog)
                    if n == 0 or catalog[n - 1]["group"] != ind["group"]}
    assert set(breaks) <= group_starts  # pages break between indicator groups
    note_col = 3 + len(catalog) + 4
    assert sheet.cell(row=9, column=note_col).alignment.wrap_text  # notes wrap

    info = book["Thông tin"]
    meta = dict(info.iter_rows(values_only=True))
    assert meta["Số xã/phường"] == 65 and meta["Đã báo cáo"] == 2 and meta["Chưa báo cáo"] == 63
    assert isinstance(meta["Trong đó dùng số liệu ngày trước"], int)
    assert info.sheet_properties.pageSetUpPr.fitToPage
    # one page (1 × 1 is the default, so XlsxWriter may leave both attributes out)
    assert (info.page_setup.fitToWidth or 1, info.page_setup.fitToHeight or 1) == (1, 1)


# --- the two CSV dialects ----------------------------------------------------------------

NOTE = 'Sạt lở; đường "QL4A" tắc, 2 điểm\ndòng 2'


def test_csv_quotes_every_text_field_and_round_trips_a_note_with_separators(
        client, auth, damage, post_report, at_local):
    at_local(2025, 10, 8, 16, 30)
    assert post_report("other", note=NOTE, figures={"houses_collapsed": 1,
                                                    "rice_damaged_ha": 662.9}).status_code == 201
    summary = api_summary(client, auth, date="2025-10-08")
    data = export(client, auth, "csv", date="2025-10-08").data
    keep("table.csv", data)
    text = data.decode("utf-8-sig")
    header = text.split("\r\n")[0]
    assert header.startswith('"commune_code","commune_name",') and header.count('"') == 2 * header.count(",") + 2
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    huu_lung = next(r for r in rows if r["commune_code"] == "06385")
    assert huu_lung["note"] == NOTE and huu_lung["rice_damaged_ha"] == "662.9"
    assert '"06385","Xã Hữu Lũng","reported","2025-10-08",' in text  # text quoted, numbers bare
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"commune_code": str})
    assert frame["rice_damaged_ha"].sum() == pytest.approx(summary["totals"]["rice_damaged_ha"])


def test_csv_vi_opens_on_a_vietnamese_desktop_with_numbers_as_numbers(
        client, auth, damage, post_report, at_local):
    at_local(2025, 10, 8, 16, 30)
    assert post_report("other", note=NOTE, figures={"houses_collapsed": 1,
                                                    "rice_damaged_ha": 662.9}).status_code == 201
    summary = api_summary(client, auth, date="2025-10-08")
    catalog = indicators(client, auth)
    response = export(client, auth, "csv-vi", date="2025-10-08")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "_excel-vn.csv" in response.headers["Content-Disposition"]
    keep("table-vi.csv", response.data)
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0][:5] == ["Mã xã", "Xã/phường", "Tình trạng", "Ngày số liệu", "Phiên bản"]
    assert rows[0][5:-1] == [f"{i['label']} ({i['unit']})" for i in catalog] and rows[0][-1] == "Ghi chú"
    assert len(rows) == 1 + 65
    huu_lung = next(r for r in rows if r[0] == "06385")
    assert huu_lung[-1] == NOTE and huu_lung[2] == "Đã báo cáo" and huu_lung[3] == "08/10/2025"
    column = 5 + [i["code"] for i in catalog].index("rice_damaged_ha")
    assert huu_lung[column] == "662,9"
    frame = pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", sep=";", decimal=",",
                        dtype={"Mã xã": str})
    for ind in catalog:
        label = f"{ind['label']} ({ind['unit']})"
        assert frame[label].sum() == pytest.approx(summary["totals"].get(ind["code"], 0)), label
    assert frame["Diện tích lúa bị thiệt hại (ha)"].sum() == pytest.approx(662.9 + 2.25)
    fields = [f for row in rows for f in row]
    assert not [f for f in fields if f[:1] in ("=", "+", "@", "\t", "\r")]


# --- HXL ---------------------------------------------------------------------------------

def test_hxl_uses_core_hashtags_with_their_dictionary_meaning_and_validates(client, auth, damage):
    catalog = indicators(client, auth)
    data = export(client, auth, "hxl", date="2025-10-08").data
    keep("table.hxl.csv", data)
    tags = {i["code"]: i["hxl"] for i in catalog}
    assert tags["people_dead"] == "#affected+killed"
    for ind in catalog:
        tag = ind["hxl"]
        if ind["unit"] in ("người", "hộ"):
            assert tag.startswith(("#affected+", "#reached+")), ind["code"]
        elif "đồng" in ind["unit"]:
            assert tag.startswith("#value+") and "+vnd" in tag, ind["code"]
        else:
            assert tag.startswith("#indicator+num+"), ind["code"]
    assert not [t for t in tags.values() if t.startswith("#affected") and "+hh" not in t
                and not {"+killed", "+missing", "+injured", "+ind"} & set(re.findall(r"\+\w+", t))]
    report = hxl.validate(hxl.data(io.BytesIO(data)))
    assert report["is_valid"] and report["stats"]["total"] == 0, report["issues"][:3]
    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        f.write(data)
        f.flush()
        cli = subprocess.run([str(Path(sys.executable).parent / "hxlvalidate"), "-a", "-e", "info",
                              f.name], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and "0 error(s), 0 warnings, 0 suggestions" in cli.stdout + cli.stderr


def test_upgrading_an_existing_database_retags_the_default_indicators(tmp_path):
    """Migration 0006: old default tags change, a tag an administrator edited stays."""
    from flask_migrate import upgrade

    from conftest import make_app
    from coordination.indicators import Indicator

    app = make_app(f"sqlite:///{tmp_path / 'old.sqlite'}", tmp_path)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0001")
        for code, label, tag in (("people_dead", "Số người chết", "#affected+dead"),
                                 ("houses_flooded", "Nhà bị ngập", "#affected+houses+flooded"),
                                 ("roads_damaged_m", "Đường", "#x+edited")):
            db.session.execute(text(
                "INSERT INTO indicators (code, label, unit, group_code, group_label, group_order, "
                "position, hxl, whole_number, is_active) VALUES "
                "(:c, :l, 'x', 'g', 'G', 1, 1, :t, 1, 1)"), {"c": code, "l": label, "t": tag})
        db.session.commit()
        upgrade(directory=directory)
        got = dict(db.session.execute(select(Indicator.code, Indicator.hxl)).all())
        assert got == {"people_dead": "#affected+killed",
                       "houses_flooded": "#indicator+num+houses+flooded",
                       "roads_damaged_m": "#x+edited"}
        db.session.remove()
        db.engine.dispose()
