"""Commune shapes for display: simplified once per loaded commune frame, then cached.

The simplification tolerance follows the extent of the data (about 1/500 of
its width), so a province and a national deployment both keep small pages.
"""
import json
import threading

import geopandas as gpd
import shapely

from ..areas.geometry import commune_frame

EXTENT_FRACTION = 1 / 500
PRECISION = 4  # decimals of a degree (~11 m) in what the browser receives

_lock = threading.Lock()
_cache: dict[str, tuple] = {}


def simplify_coverage(geoms, tolerance: float):
    """Topology-preserving simplification of adjacent polygons.

    coverage_simplify keeps shared edges shared; if it fails or yields invalid
    or empty shapes (boundaries that are not a clean coverage), fall back to
    per-polygon simplify(preserve_topology=True).
    """
    try:
        out = shapely.coverage_simplify(geoms, tolerance)
        if shapely.is_valid(out).all() and not shapely.is_empty(out).any():
            return out
    except shapely.errors.GEOSException:
        pass
    return shapely.simplify(geoms, tolerance, preserve_topology=True)


def _display() -> tuple[gpd.GeoDataFrame, list[dict]]:
    source = commune_frame()
    cached = _cache.get("display")
    if cached and cached[0] is source:
        return cached[1], cached[2]
    with _lock:
        frame = source.copy()
        if not frame.empty:
            minx, miny, maxx, maxy = frame.total_bounds
            tolerance = max(maxx - minx, maxy - miny) * EXTENT_FRACTION
            simple = simplify_coverage(source.geometry.values, tolerance)
            frame["geometry"] = shapely.transform(simple, lambda c: c.round(PRECISION))
        geojson = [json.loads(g) for g in shapely.to_geojson(frame.geometry.values)]
        _cache["display"] = (source, frame, geojson)
    return frame, geojson


def display_frame() -> gpd.GeoDataFrame:
    """commune_frame() with simplified, rounded geometry (same rows and order). Do not mutate."""
    return _display()[0]


def feature_collection(frame, columns: list[str]) -> dict:
    """GeoJSON of display-frame rows (in display order) with the given property columns.

    Geometry comes from the cached GeoJSON of the display frame, so no per-request
    conversion of polygons; properties are plain records.
    """
    geometries = _display()[1]
    records = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": str(i), "properties": props, "geometry": geometries[i]}
        for i, props in zip(frame.index, records)]}


def outline(geoms, close: float = 0.001):
    """The outer boundary of a set of communes, closing the sliver gaps between them."""
    merged = shapely.buffer(shapely.union_all(shapely.buffer(geoms, close)), -close)
    simple = shapely.simplify(merged, close)  # buffering adds round corners: drop them
    return shapely.transform(simple, lambda c: c.round(PRECISION)).boundary
