"""Developers turn the upstream ward files into the app's own geodata for all 34 provinces.

The converter runs on the real input in ../shared (beside the repo, as in CI); the
shipped files must be exactly what it produces, and agree with the official list.
"""
import copy
import csv
import json
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from coordination.areas.convert import convert, rebuild
from coordination.areas.loading import GEODATA
from coordination.areas.official import Mismatch, check_province, read_official

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "geodata" / "vietnam"
PROVINCES = GEODATA / "provinces"
INDEX = json.loads((SHARED / "index.json").read_text(encoding="utf-8"))
CODES = [p["id"] for p in INDEX]
# What the official check finds today; each was looked at (geodata/README.md).
KNOWN_MISMATCHES = {
    ("04", "01501", "Xã Đàm Thuỷ", "Xã Đàm Thủy"), ("08", "00922", "Xã Thuận Hòa", "Xã Thuận Hoà"),
    ("08", "00928", "Xã Thanh Thuỷ", "Xã Thanh Thủy"), ("08", "02353", "Xã Hòa An", "Xã Hoà An"),
    ("08", "02419", "Xã Thái Hòa", "Xã Thái Hoà"), ("08", "02620", "Xã Sơn Thủy", "Xã Sơn Thuỷ"),
    ("20", "06325", "Xã Bắc Sơn", "xã Bắc Sơn"), ("24", "07840", "Xã Hiệp Hòa", "Xã Hiệp Hoà"),
    ("31", "11560", "Phường Thuỷ Nguyên", "Phường Thủy Nguyên"), ("37", "14182", "Xã Giao Hòa", "Xã Giao Hoà"),
    ("51", "23302", "Phường Đăk BLa", "Phường Đăk Bla"), ("66", "24184", "Xã Ea H’leo", "Xã Ea H’Leo"),
    ("68", "22924", "Phường Phú Thủy", "Phường Phú Thuỷ"), ("68", "24718", "Xã Đắk song", "Xã Đắk Song"),
    ("79", "", "TP. Hồ Chí Minh", "Hồ Chí Minh"),
}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The whole country converted from ../shared into a fresh folder (about 8 s)."""
    dest = tmp_path_factory.mktemp("provinces")
    mismatches, notes = convert(SHARED, dest)
    return dest, mismatches, notes


def features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_shipped_files_are_exactly_what_the_converter_makes(converted):
    dest, _, _ = converted
    made = sorted(p.name for p in dest.iterdir())
    shipped = sorted(p.name for p in PROVINCES.iterdir() if p.name not in ("official_units.csv",))
    assert made == shipped and len(made) == 34 * 2 + 2
    drifted = [name for name in made if (dest / name).read_bytes() != (PROVINCES / name).read_bytes()]
    assert drifted == [], "regenerate: python -m coordination.areas.convert ../shared/geodata/vietnam geodata/provinces"


def test_lang_son_from_20_json_is_the_lang_son_file_we_already_ship(converted):
    dest, _, _ = converted
    reference = {f["properties"]["ma_xa"]: f for f in features(GEODATA / "lang_son_communes_2025.geojson")}
    ours = {f["properties"]["ma_xa"]: f for f in features(dest / "20.geojson")}
    assert list(ours) == list(reference) and len(ours) == 65
    for code, ref in reference.items():
        a, b = shape(ref["geometry"]), shape(ours[code]["geometry"])
        assert a.symmetric_difference(b).area < 1e-6 * a.area, code
        assert {k: ours[code]["properties"][k] for k in ref["properties"]} == ref["properties"]
    labels = {r["ma_xa"]: r for r in rows(GEODATA / "lang_son_units_2025.csv")}
    for code, f in ours.items():
        assert f["properties"]["label_lat"] == pytest.approx(float(labels[code]["label_lat"]), abs=1e-5)
        assert f["properties"]["label_lon"] == pytest.approx(float(labels[code]["label_lon"]), abs=1e-5)
    assert ours["06040"]["properties"]["ten_day_du"] == "Xã Thất Khê"


def test_every_province_file_has_valid_multipolygons_and_official_shaped_codes():
    kinds, total = Counter(), 0
    expected = {p["id"]: p["wardCount"] for p in INDEX}
    for code in CODES:
        text = (PROVINCES / f"{code}.geojson").read_text(encoding="utf-8")
        assert "\n" not in text.rstrip("\n") and not re.search(r"\d\.\d{6}", text)  # compact, 5 decimals
        units = json.loads(text)["features"]
        csv_rows = rows(PROVINCES / f"{code}_units.csv")
        assert len(units) == len(csv_rows) == expected[code], code
        for f, row in zip(units, csv_rows):
            p, geom = f["properties"], shape(f["geometry"])
            assert f["geometry"]["type"] == "MultiPolygon" and geom.is_valid and not geom.is_empty, p["ma_xa"]
            assert re.fullmatch(r"\d{5}", p["ma_xa"]) and p["ma_tinh"] == code
            assert p["ten_day_du"] == f"{p['loai']} {p['ten_xa']}"
            assert unicodedata.is_normalized("NFC", p["ten_day_du"])
            assert geom.covers(Point(p["label_lon"], p["label_lat"])), p["ma_xa"]
            assert row["ma_xa"] == p["ma_xa"] and float(row["label_lat"]) == p["label_lat"]
            kinds[p["loai"]] += 1
        total += len(units)
    assert total == 3321
    assert kinds == {"Xã": 2621, "Phường": 687, "Đặc khu": 13}


def test_a_code_that_lost_its_leading_zero_upstream_is_padded_and_said(converted):
    _, _, notes = converted
    vanlang = [f for f in features(PROVINCES / "19.geojson") if f["properties"]["ten_xa"] == "Văn Lăng"]
    assert [f["properties"]["ma_xa"] for f in vanlang] == ["05665"]
    assert any("'5665'" in note and "'05665'" in note for note in notes)


def test_codes_agree_with_the_official_list_and_the_known_name_differences_are_reported(converted):
    _, mismatches, _ = converted
    official = read_official(PROVINCES / "official_units.csv")
    assert len(official) == 3321 and len({r["ma_xa"] for r in official}) == 3321
    shipped = {f["properties"]["ma_xa"]: (code, f["properties"]["loai"].lower())
               for code in CODES for f in features(PROVINCES / f"{code}.geojson")}
    assert shipped == {r["ma_xa"]: (r["ma_tinh"], r["loai"]) for r in official}
    assert {(m.ma_tinh, m.ma_xa, m.ours, m.official) for m in mismatches} == KNOWN_MISMATCHES
    assert {m.field for m in mismatches} == {"ten_day_du", "ten_tinh"}


def test_the_official_check_reports_every_kind_of_difference_and_fixes_nothing():
    official = read_official(PROVINCES / "official_units.csv")
    units = [f["properties"] for f in features(PROVINCES / "20.geojson")]
    assert check_province("20", "Lạng Sơn", units, official) == [
        Mismatch("20", "06325", "ten_day_du", "Xã Bắc Sơn", "xã Bắc Sơn")]
    dropped = units.pop(0)  # 05977 Phường Đông Kinh
    units[0]["ten_day_du"] = "Phường Lương Văn Trì"
    units[1]["loai"] = "Xã"
    units.append({**units[2], "ma_xa": "99999"})
    before = copy.deepcopy(units)
    found = check_province("20", "Tỉnh Lạng Sơn", units, official)
    assert found == [
        Mismatch("20", "", "ten_tinh", "Tỉnh Lạng Sơn", "Lạng Sơn"),
        Mismatch("20", dropped["ma_xa"], "ma_xa", "", "Phường Đông Kinh"),
        Mismatch("20", "05983", "ten_day_du", "Phường Lương Văn Trì", "Phường Lương Văn Tri"),
        Mismatch("20", "05986", "loai", "Xã", "phường"),
        Mismatch("20", "06325", "ten_day_du", "Xã Bắc Sơn", "xã Bắc Sơn"),
        Mismatch("20", "99999", "ma_xa", units[2]["ten_day_du"], ""),
    ]
    assert "99999" in str(found[-1]) and "không có" in str(found[-1])
    assert units == before  # reported, not fixed
    assert check_province("20", "Lạng Sơn", [], official)[0].field == "ma_xa"


def test_index_and_national_outlines_are_small_and_in_code_order():
    index = rows(PROVINCES / "index.csv")
    assert [r["ma_tinh"] for r in index] == CODES == sorted(CODES)
    assert [int(r["so_don_vi"]) for r in index] == [p["wardCount"] for p in INDEX]
    assert (PROVINCES / "provinces.geojson").stat().st_size <= 250_000
    outlines = features(PROVINCES / "provinces.geojson")
    assert [f["properties"]["ma_tinh"] for f in outlines] == CODES
    for f, row in zip(outlines, index):
        geom = shape(f["geometry"])
        assert f["geometry"]["type"] == "MultiPolygon" and geom.is_valid
        assert geom.covers(Point(float(row["label_lon"]), float(row["label_lat"])))
    # Neighbours overlap a little (upstream simplified each on its own), no more.
    geoms = [shape(f["geometry"]) for f in outlines]
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    overlap = sum(geoms[i].intersection(geoms[j]).area for i, j in zip(a, b) if i < j)
    assert overlap < 1e-3 * sum(g.area for g in geoms)


def test_every_special_zone_island_is_still_on_the_national_map():
    outlines = {f["properties"]["ma_tinh"]: shape(f["geometry"]) for f in features(PROVINCES / "provinces.geojson")}
    zones = [f for code in CODES for f in features(PROVINCES / f"{code}.geojson")
             if f["properties"]["loai"] == "Đặc khu"]
    assert len(zones) == 13 and {"Hoàng Sa", "Trường Sa"} <= {f["properties"]["ten_xa"] for f in zones}
    for f in zones:
        assert outlines[f["properties"]["ma_tinh"]].intersects(shape(f["geometry"])), f["properties"]["ten_xa"]


def square(x: float, y: float, side: float) -> list[list[float]]:
    return [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]


def test_rings_are_rebuilt_into_holes_islands_and_repaired_parts():
    # Commune with a lake with an island; a separate islet left open as upstream does.
    islet = square(5, 5, 1)[:-1]
    geom = rebuild([square(0, 0, 4), square(1, 1, 2), square(1.5, 1.5, 1), islet])
    assert geom.is_valid and geom.area == pytest.approx(16 - 4 + 1 + 1)
    assert not geom.covers(Point(1.2, 1.2)) and geom.covers(Point(2, 2)) and geom.covers(Point(5.5, 5.5))
    # A bow tie becomes two triangles; a collapsed ring (a line) is dropped.
    bow = rebuild([[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]], [[3, 3], [4, 4], [3, 3], [3, 3]]])
    assert bow.geom_type == "MultiPolygon" and len(bow.geoms) == 2 and bow.is_valid
    assert all(p.exterior.is_ccw for p in bow.geoms)


def test_developers_run_the_converter_for_some_provinces(tmp_path):
    result = subprocess.run([sys.executable, "-m", "coordination.areas.convert", str(SHARED), str(tmp_path),
                             "20", "46"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "20 06325 ten_day_du: 'Xã Bắc Sơn' ≠ danh mục 'xã Bắc Sơn'" in result.stdout
    assert "Xong: 1 chỗ lệch" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20.geojson", "20_units.csv", "46.geojson",
                                                          "46_units.csv"]
    assert (tmp_path / "46.geojson").read_bytes() == (PROVINCES / "46.geojson").read_bytes()
