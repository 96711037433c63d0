"""GET /api/v1/events/<code>/map.geojson: the data behind the map, for other tools."""
import json
from datetime import date

from flask import Blueprint, Response, request

from ..auth.access import provincial_required
from ..selection import resolve
from .geometry import feature_collection
from .layers import map_frame, require_indicator

bp = Blueprint("maps_api", __name__, url_prefix="/api/v1")
PROPERTIES = ["code", "name", "value", "status", "report_date", "stale", "on_time", "report_id"]


def selection_geojson(selection, indicator_code: str) -> dict:
    """FeatureCollection (EPSG:4326) of the selection's communes with value and status."""
    indicator = require_indicator(indicator_code)
    frame, _ = map_frame(selection, indicator.code)
    frame = frame[frame["in_area"]].copy()
    frame["report_date"] = [d.isoformat() if isinstance(d, date) else None
                            for d in frame["report_date"]]
    frame["report_id"] = frame["report_id"].astype("Int64")
    collection = feature_collection(frame, PROPERTIES)
    collection["indicator"] = {"code": indicator.code, "label": indicator.label,
                               "unit": indicator.unit}
    collection["date"] = selection.date.isoformat()
    collection["area"] = selection.area_code
    return collection


@bp.get("/events/<code>/map.geojson")
@provincial_required
def map_geojson(code):
    selection = resolve(code, request.args)
    body = selection_geojson(selection, request.args.get("indicator"))
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/geo+json")
