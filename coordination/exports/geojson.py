"""GeoJSON (EPSG:4326, RFC 7946) of the communes with their figures, for GIS tools."""
import json

import shapely

from ..areas.geometry import commune_frame
from .table import ConsolidatedTable, number


def geometries(codes: list[str]) -> dict[str, str]:
    """GeoJSON geometry text per commune code, converted in one vectorised call."""
    frame = commune_frame()
    chosen = frame[frame["code"].isin(codes)]
    return dict(zip(chosen["code"], shapely.to_geojson(chosen.geometry.values)))


def properties(table: ConsolidatedTable, commune) -> dict:
    return {"code": commune.code, "name": commune.name, "status": commune.status,
            "report_date": commune.report_date.isoformat() if commune.report_date else None,
            "version": commune.version, "note": commune.note,
            **{i.code: number(commune.figures.get(i.code)) for i in table.indicators}}


def write_geojson(table: ConsolidatedTable) -> bytes:
    shapes = geometries([c.code for c in table.rows])
    features = ('{"type":"Feature","properties":%s,"geometry":%s}' % (
        json.dumps(properties(table, c), ensure_ascii=False), shapes.get(c.code) or "null")
        for c in table.rows)
    name = json.dumps(f"thiet-hai_{table.event.code}_{table.date.isoformat()}_{table.scope_slug}")
    return ('{"type":"FeatureCollection","name":%s,"features":[%s]}' % (
        name, ",".join(features))).encode("utf-8")
