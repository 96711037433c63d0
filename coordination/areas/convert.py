"""Turn the upstream ward files (../shared/geodata/vietnam/NN.json) into the app's geodata.

Developers run it; the app never does, and it never reads ../shared at run time:

    python -m coordination.areas.convert ../shared/geodata/vietnam geodata/provinces all

Upstream (lamngockhuong/vietnam-3d-map, scripts/preprocess-wards.ts) flattened every
MultiPolygon part and every hole into one list of rings, simplified each ring on its
own, and replaced a ring that simplified to under 4 points by its first 10 original
points, left open. So: a ring inside another is a hole, open rings are closed, invalid
rings are repaired, and only polygon parts are kept. Codes and names are checked
against the official list (official.py) and mismatches are reported, never fixed.
"""
import csv
import functools
import json
import sys
import unicodedata
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon

from .official import Mismatch, check_province, read_official

OFFICIAL = Path(__file__).resolve().parents[2] / "geodata" / "provinces" / "official_units.csv"
CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
UNIT_COLUMNS = ["ma_xa", "ten_day_du", "ten_xa", "loai", "ma_tinh", "ten_tinh",
                "dtich_km2", "dan_so", "label_lat", "label_lon"]
INDEX_COLUMNS = ["ma_tinh", "ten_tinh", "so_don_vi", "dtich_km2", "dan_so", "label_lat", "label_lon"]
# Province outlines (upstream: Douglas-Peucker at 0.008°, 4 decimals) for the national
# first view. Simplifying them again only shrinks the islets (9 % once they are
# dropped) and at 0.01° makes the overlaps between neighbours 60 % bigger; the weight
# is in coastal islets, which upstream kept as 10-point rings: see _national_outline.
ISLET_KM2 = 1.0
ISLET_NEAR_KM = 20.0
OUTLINE_DIGITS = 4


def nfc(text: str) -> str:
    # Some upstream names are decomposed ("Cồn Co\u0309"): NFC is the same text,
    # and what people type, so lookups match.
    return unicodedata.normalize("NFC", text).strip()


def polygon_parts(geom) -> list[Polygon]:
    """The polygons in a geometry; make_valid leaves lines and points as debris."""
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    return [p for part in getattr(geom, "geoms", []) for p in polygon_parts(part)]


def rebuild(rings: list[list[list[float]]], digits: int = 5) -> MultiPolygon:
    """One valid MultiPolygon (exteriors counter-clockwise) from upstream's flat ring list."""
    # Polygon() closes an open ring; make_valid splits self-crossing ones.
    shapes = [MultiPolygon(polygon_parts(shapely.make_valid(Polygon(r)))) for r in rings]
    shapes = [s for s in shapes if not s.is_empty]
    tree = shapely.STRtree(shapes)
    container, contained = tree.query(shapes, predicate="contains")
    holes = set(contained[container != contained].tolist())
    outer = shapely.union_all([s for i, s in enumerate(shapes) if i not in holes])
    # Symmetric difference, so an island in a lake in a commune comes back as land.
    geom = functools.reduce(shapely.symmetric_difference, (shapes[i] for i in sorted(holes)), outer)
    return _finish(geom, digits)


def _finish(geom, digits: int) -> MultiPolygon:
    geom = shapely.set_precision(geom, 10.0 ** -digits)  # snapped, and still valid
    return shapely.orient_polygons(MultiPolygon(polygon_parts(geom)))


def coordinates(geom: MultiPolygon, digits: int) -> list:
    return [[[[round(x, digits), round(y, digits)] for x, y in ring.coords]
             for ring in (p.exterior, *p.interiors)] for p in geom.geoms]


def label_point(geom: MultiPolygon, digits: int = 5) -> tuple[float, float]:
    """A point inside the polygon (not the centroid, which may fall outside)."""
    point = geom.representative_point()
    return round(point.x, digits), round(point.y, digits)


def convert_units(province: dict) -> tuple[list[dict], list[str]]:
    """(features sorted by code, notes on what was normalised) for one NN.json."""
    ma_tinh, ten_tinh = province["provinceId"], nfc(province["provinceName"])
    features, notes = [], []
    for ward in province["wards"]:
        code = str(ward["id"])
        if code != code.zfill(5):
            # Upstream lost a leading zero; the official check confirms the padded code.
            notes.append(f"{ma_tinh}: mã '{code}' ({ward['name']}) thiếu số 0 đầu, ghi '{code.zfill(5)}'")
        geom = rebuild(ward["polygons"])
        if geom.is_empty or not geom.is_valid:
            raise ValueError(f"{ma_tinh} {code}: geometry {shapely.is_valid_reason(geom)}")
        lon, lat = label_point(geom)
        name = nfc(ward["name"])
        if name != ward["name"]:
            notes.append(f"{ma_tinh}: tên {code} '{name}' viết lại dạng Unicode NFC")
        features.append({"type": "Feature", "properties": {
            "ma_xa": code.zfill(5), "ten_xa": name, "loai": ward["type"],
            "ten_day_du": f"{ward['type']} {name}", "ma_tinh": ma_tinh, "ten_tinh": ten_tinh,
            "dtich_km2": ward["area"], "dan_so": ward["population"], "matdo_km2": ward["density"],
            "label_lon": lon, "label_lat": lat,
        }, "geometry": {"type": "MultiPolygon", "coordinates": coordinates(geom, 5)}})
    features.sort(key=lambda f: f["properties"]["ma_xa"])
    return features, notes


def _national_outline(rings: list) -> MultiPolygon:
    """A province outline small enough for the whole country on one first view.

    Parts under ISLET_KM2 are dropped when a bigger part of the province lies within
    ISLET_NEAR_KM: Hạ Long Bay's islets go, while offshore archipelagos (Hoàng Sa,
    Trường Sa, Bạch Long Vĩ, Phú Quý...) have no big part near and stay on the map.
    """
    parts = list(rebuild(rings, OUTLINE_DIGITS).geoms)
    km = 1 / 111.0  # degrees; rough, and enough to tell an islet from an island
    big = [p for p in parts if p.area >= ISLET_KM2 * km ** 2]
    near = shapely.union_all(big).buffer(ISLET_NEAR_KM * km)
    return MultiPolygon(big + [p for p in parts if p.area < ISLET_KM2 * km ** 2 and not near.contains(p)])


def write_json(path: Path, data) -> None:
    # Compact: these files go over weak links.
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def collection(name: str, features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "name": name, "crs": CRS84, "features": features}


def convert_province(src: Path, dest: Path, code: str, official: list[dict]) -> tuple[list[dict], list[str]]:
    """Write NN.geojson and NN_units.csv; returns (units' properties, notes)."""
    features, notes = convert_units(json.loads((src / f"{code}.json").read_text(encoding="utf-8")))
    write_json(dest / f"{code}.geojson", collection(code, features))
    units = [f["properties"] for f in features]
    write_csv(dest / f"{code}_units.csv", UNIT_COLUMNS, units)
    return units, notes


def convert_outlines(src: Path, dest: Path, counts: dict[str, int]) -> None:
    """provinces.geojson (national choropleth) and index.csv, in code order."""
    provinces = json.loads((src / "provinces.json").read_text(encoding="utf-8"))["provinces"]
    features = []
    for p in sorted(provinces, key=lambda p: p["id"]):
        geom = _national_outline(p["polygons"])
        if not geom.is_valid:
            raise ValueError(f"{p['id']}: outline {shapely.is_valid_reason(geom)}")
        lon, lat = label_point(geom, OUTLINE_DIGITS)
        features.append({"type": "Feature", "properties": {
            "ma_tinh": p["id"], "ten_tinh": nfc(p["name"]), "so_don_vi": counts.get(p["id"]),
            "dtich_km2": p["area"], "dan_so": p["population"], "matdo_km2": p["density"],
            "label_lon": lon, "label_lat": lat,
        }, "geometry": {"type": "MultiPolygon", "coordinates": coordinates(geom, OUTLINE_DIGITS)}})
    write_json(dest / "provinces.geojson", collection("provinces", features))
    write_csv(dest / "index.csv", INDEX_COLUMNS, [f["properties"] for f in features])


def province_codes(src: Path) -> list[str]:
    return sorted(p["id"] for p in json.loads((src / "index.json").read_text(encoding="utf-8")))


def convert(src: Path, dest: Path, codes: list[str] | None = None,
            official_csv: Path = OFFICIAL) -> tuple[list[Mismatch], list[str]]:
    """Convert the given provinces (all when None); returns (mismatches, notes).

    The outlines and index are rewritten only for a run over all provinces, since the
    index counts every province's units.
    """
    dest.mkdir(parents=True, exist_ok=True)
    official = read_official(official_csv)
    counts, mismatches, notes = {}, [], []
    for code in codes or province_codes(src):
        units, found = convert_province(src, dest, code, official)
        counts[code] = len(units)
        notes += found
        mismatches += check_province(code, units[0]["ten_tinh"], units, official)
    if codes is None:
        convert_outlines(src, dest, counts)
    return mismatches, notes


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("python -m coordination.areas.convert SRC_DIR DEST_DIR [CODES…|all]", file=sys.stderr)
        return 2
    src, dest, codes = Path(argv[0]), Path(argv[1]), argv[2:]
    mismatches, notes = convert(src, dest, None if codes in ([], ["all"]) else codes)
    for line in [*notes, *mismatches]:
        print(line)
    print(f"Xong: {len(mismatches)} chỗ lệch so với danh mục chính thức, {len(notes)} ghi chú.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
