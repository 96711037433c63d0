"""Commune geometry, loaded once per process and shared by maps, exports and lookups.

The cache is keyed by the database and a cheap fingerprint of the communes
table, so a `geodata load` in another process is picked up without reloading
on every request.
"""
import threading

import geopandas as gpd
import shapely
from sqlalchemy import func, select

from ..extensions import db
from .models import Commune

_lock = threading.Lock()
_cache: dict[str, tuple[tuple, gpd.GeoDataFrame]] = {}


def _fingerprint() -> tuple:
    return tuple(db.session.execute(
        select(func.count(Commune.code), func.max(Commune.updated_at))).one())


def _load() -> gpd.GeoDataFrame:
    rows = db.session.execute(select(
        Commune.code, Commune.name, Commune.short_name, Commune.kind, Commune.label_lat,
        Commune.label_lon, Commune.geom_wkb).order_by(Commune.code)).all()
    codes, names, shorts, kinds, lats, lons, wkbs = zip(*rows) if rows else ([],) * 7
    geometry = shapely.from_wkb(list(wkbs)) if rows else []
    return gpd.GeoDataFrame(
        {"code": list(codes), "name": list(names), "short_name": list(shorts),
         "kind": list(kinds), "label_lat": list(lats), "label_lon": list(lons)},
        geometry=gpd.GeoSeries(geometry, crs=4326), crs=4326)


def commune_frame() -> gpd.GeoDataFrame:
    """All communes with geometry (EPSG:4326), indexed 0..n-1, sorted by code. Do not mutate."""
    key = str(db.engine.url)
    fingerprint = _fingerprint()
    cached = _cache.get(key)
    if cached and cached[0] == fingerprint:
        return cached[1]
    with _lock:
        frame = _load()
        _cache[key] = (fingerprint, frame)
    return frame


def clear_cache() -> None:
    _cache.clear()


def nearest_commune(lon: float, lat: float) -> str | None:
    """The commune containing a point, else the nearest one (borders are not clean)."""
    frame = commune_frame()
    if frame.empty:
        return None
    point = shapely.Point(lon, lat)
    inside = frame[frame.geometry.contains(point)]
    if not inside.empty:
        return str(inside.iloc[0]["code"])
    # Degrees are fine for picking the nearest of neighbouring units.
    distances = shapely.distance(frame.geometry.values, point)
    return str(frame.iloc[int(distances.argmin())]["code"])
