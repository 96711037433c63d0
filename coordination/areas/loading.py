"""Load administrative units and named areas from geodata files (any province).

All geometry work is vectorised geopandas/shapely: reprojection, repair,
label points and area membership by intersection.
"""
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import delete, select

from ..extensions import db
from .models import Area, AreaCommune, Commune, FormerCommune

GEODATA = Path(__file__).resolve().parents[2] / "geodata"
LANG_SON = {
    "units": GEODATA / "lang_son_communes_2025.geojson",
    "attributes": GEODATA / "lang_son_units_2025.csv",
    "former": GEODATA / "lang_son_old_to_new_2025.csv",
    "areas": GEODATA / "lang_son_areas.csv",
}


class GeodataError(ValueError):
    """A geodata file that cannot be loaded as asked (missing column, no CRS match...)."""


def read_units(path: Path, code_field: str, name_field: str) -> gpd.GeoDataFrame:
    """Read units as EPSG:4326 with valid geometry and string codes."""
    gdf = gpd.read_file(path)
    for field in (code_field, name_field):
        if field not in gdf.columns:
            raise GeodataError(f"Column '{field}' not in {path.name}: {list(gdf.columns)}")
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    invalid = ~gdf.geometry.is_valid
    gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].make_valid()
    gdf["code"] = gdf[code_field].astype(str).str.strip()
    gdf["name"] = gdf[name_field].astype(str).str.strip()
    label = gdf.geometry.representative_point()
    gdf["label_lon"], gdf["label_lat"] = label.x, label.y
    return gdf


def _optional(row: pd.Series, field: str):
    value = row.get(field)
    return None if value is None or pd.isna(value) else value


def upsert_units(gdf: gpd.GeoDataFrame) -> tuple[int, int]:
    """Insert new units and update known ones; returns (added, updated)."""
    existing = {c.code: c for c in db.session.scalars(select(Commune))}
    wkb = shapely.to_wkb(gdf.geometry.values)
    added = updated = 0
    for (_, row), geom in zip(gdf.iterrows(), wkb):  # rows, not polygons: one upsert each
        commune = existing.get(row["code"])
        if commune is None:
            commune = Commune(code=row["code"])
            db.session.add(commune)
            added += 1
        else:
            updated += 1
        commune.name = row["name"]
        commune.short_name = str(_optional(row, "ten_xa") or row["name"])
        commune.kind = str(_optional(row, "loai") or "")
        commune.province_code = str(_optional(row, "ma_tinh") or "")
        commune.province_name = str(_optional(row, "ten_tinh") or "")
        commune.area_km2 = _optional(row, "dtich_km2")
        pop = _optional(row, "dan_so")
        commune.population = int(pop) if pop is not None else None
        commune.label_lat = float(row["label_lat"])
        commune.label_lon = float(row["label_lon"])
        commune.geom_wkb = geom
    return added, updated


def apply_label_points(csv_path: Path) -> None:
    """Use the published label points (inside each polygon) where a CSV gives them."""
    units = pd.read_csv(csv_path, dtype={"ma_xa": str})
    communes = {c.code: c for c in db.session.scalars(select(Commune))}
    for row in units.itertuples():
        commune = communes.get(row.ma_xa)
        if commune is not None and not pd.isna(row.label_lat):
            commune.label_lat, commune.label_lon = float(row.label_lat), float(row.label_lon)


def load_former_communes(csv_path: Path) -> int:
    table = pd.read_csv(csv_path, dtype={"old_ma_xa": str, "new_ma_xa": str, "old_ma_huyen": str})
    known = set(db.session.scalars(select(Commune.code)))
    table = table[table["new_ma_xa"].isin(known)]
    db.session.execute(delete(FormerCommune).where(FormerCommune.new_code.in_(known)))
    db.session.add_all(FormerCommune(
        old_code=r.old_ma_xa, old_name=r.old_ten, old_district_code=r.old_ma_huyen or "",
        old_district_name=r.old_ten_huyen or "", partly_merged=bool(r.old_partly_merged),
        new_code=r.new_ma_xa) for r in table.fillna("").itertuples())
    return len(table)


def set_area(code: str, name: str, commune_codes: list[str]) -> Area:
    """Create or redefine a named area as a set of communes."""
    area = db.session.get(Area, code) or Area(code=code, name=name)
    area.name = name
    db.session.add(area)
    db.session.execute(delete(AreaCommune).where(AreaCommune.area_code == code))
    db.session.flush()
    db.session.add_all(AreaCommune(area_code=code, commune_code=c) for c in sorted(set(commune_codes)))
    return area


def load_areas_csv(csv_path: Path) -> list[str]:
    """Areas from a CSV with area_code, area_name, ma_xa (one row per member)."""
    table = pd.read_csv(csv_path, dtype={"ma_xa": str})
    known = set(db.session.scalars(select(Commune.code)))
    unknown = sorted(set(table["ma_xa"]) - known)
    if unknown:
        raise GeodataError(f"Unknown commune codes in {csv_path.name}: {', '.join(unknown)}")
    for (code, name), members in table.groupby(["area_code", "area_name"]):
        set_area(code, name, list(members["ma_xa"]))
    return sorted(table["area_code"].unique())


def communes_intersecting(polygons: gpd.GeoDataFrame) -> list[str]:
    """Codes of the communes whose interior meets the polygons (touching edges is not enough)."""
    from .geometry import commune_frame

    if polygons.crs is not None and polygons.crs.to_epsg() != 4326:
        polygons = polygons.to_crs(4326)
    shape = shapely.union_all(polygons.geometry.make_valid().values)
    frame = commune_frame()
    hits = frame.geometry.intersects(shape) & ~frame.geometry.touches(shape)
    return sorted(frame.loc[hits, "code"])


def area_from_polygon_file(code: str, name: str, path: Path) -> Area:
    return set_area(code, name, communes_intersecting(gpd.read_file(path)))


def load_lang_son() -> dict:
    """The default data set: Lạng Sơn's 65 units, former communes and named areas."""
    gdf = read_units(LANG_SON["units"], "ma_xa", "ten_day_du")
    added, updated = upsert_units(gdf)
    db.session.flush()
    apply_label_points(LANG_SON["attributes"])
    former = load_former_communes(LANG_SON["former"])
    areas = load_areas_csv(LANG_SON["areas"])
    return {"added": added, "updated": updated, "former": former, "areas": areas}
