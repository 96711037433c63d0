"""GET /api/v1/events/<code>/trend: an indicator's total, day by day (province and admin)."""
from flask import Blueprint, jsonify, request

from ..auth.access import provincial_required
from ..selection import resolve
from ..timeutil import local_today
from .trend import require_indicator, trend

bp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1")


@bp.get("/events/<code>/trend")
@provincial_required
def event_trend(code):
    selection = resolve(code, request.args)  # event 404, date 400, area 404
    indicator = require_indicator(request.args.get("indicator"))
    last_day = min(selection.date, local_today())
    return jsonify(trend(selection.event, indicator, last_day, selection.area_code))
