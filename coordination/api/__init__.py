"""JSON API v1 (bearer tokens). Its contract is in openapi.json beside this file."""
import json
from pathlib import Path

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from ..areas.lookup import area_codes, search_communes
from ..areas.models import Area, Commune
from ..auth.access import (admin_required, commune_scope, login_required, provincial_required,
                           public)
from ..database import write_transaction
from ..events import Event, create_event
from ..extensions import db
from ..http import json_body
from ..indicators import active_indicators
from ..reports.aggregation import summarize
from ..reports.history import report_history
from ..reports.submission import from_payload, submit
from ..selection import parse_date, require_event, resolve

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).parent / "openapi.json"


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(json.loads(OPENAPI.read_text(encoding="utf-8")))


@bp.get("/events")
@login_required
def list_events():
    events = db.session.scalars(select(Event).order_by(Event.start_date.desc()))
    return jsonify(events=[e.as_dict() for e in events])


@bp.post("/events")
@admin_required
def post_event():
    data = json_body()
    with write_transaction(conflict=("code", "exists")):
        event = create_event(data)
    return jsonify(event.as_dict()), 201


@bp.get("/communes")
@login_required
def list_communes():
    query = request.args.get("q", "").strip()
    if query:
        return jsonify(communes=search_communes(query, limit=50))
    communes = db.session.scalars(select(Commune).order_by(Commune.code))
    return jsonify(communes=[{"code": c.code, "name": c.name, "kind": c.kind,
                              "area_km2": c.area_km2, "population": c.population,
                              "label_point": [c.label_lon, c.label_lat]} for c in communes])


@bp.get("/areas")
@login_required
def list_areas():
    areas = db.session.scalars(select(Area).order_by(Area.code))
    return jsonify(areas=[{"code": a.code, "name": a.name, "communes": area_codes(a.code)}
                          for a in areas])


@bp.get("/indicators")
@login_required
def list_indicators():
    return jsonify(indicators=[{
        "code": i.code, "label": i.label, "unit": i.unit, "group": i.group_label,
        "group_code": i.group_code, "order": [i.group_order, i.position], "hxl": i.hxl,
        "whole_number": i.whole_number, "sms_code": i.sms_code} for i in active_indicators()])


@bp.post("/reports")
@login_required
def post_report():
    sub = from_payload(json_body())
    receipt = submit(current_user, sub, channel="api")
    return jsonify(receipt.as_dict()), 200 if receipt.replayed else 201


@bp.get("/events/<code>/reports")
@login_required
def event_reports(code):
    event = require_event(code)
    commune = commune_scope(current_user, request.args.get("commune"))
    day = parse_date(request.args["date"], event=event) if "date" in request.args else None
    return jsonify(reports=report_history(event, day=day, commune_code=commune))


@bp.get("/events/<code>/summary")
@provincial_required
def event_summary(code):
    selection = resolve(code, request.args)
    summary = summarize(selection.event, selection.date, selection.area_code)
    return jsonify(summary.as_dict())
