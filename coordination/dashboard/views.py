"""The province dashboard page, and the selector's redirect to it."""
from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from ..areas.lookup import all_areas
from ..auth.access import provincial_required
from ..events import Event
from ..extensions import db
from ..selection import require_event, resolve
from ..timeutil import local_today
from .board import build
from .charts import svg_chart

bp = Blueprint("dashboard", __name__)
WAITING_SHOWN = 8  # the rest of the communes not reported fold under "Xem thêm"


@bp.get("/events/<code>/dashboard")
@provincial_required
def dashboard(code):
    selection = resolve(code, request.args)
    board = build(selection.event, selection.date, selection.area_code)
    charts = [svg_chart(c.key, c.title, c.unit, c.points, c.ceiling, bars=c.key == "reported")
              for c in board.charts]
    events = list(db.session.scalars(select(Event).order_by(Event.closed_at.is_not(None),
                                                            Event.start_date.desc())))
    return render_template("dashboard/dashboard.html", board=board, selection=selection,
                           charts=zip(board.charts, charts), events=events, areas=all_areas(),
                           is_today=selection.date == local_today(), waiting_shown=WAITING_SHOWN)


@bp.get("/dashboard")
@provincial_required
def pick():
    """The selector form (no JavaScript): event, area and date as query parameters."""
    event = require_event(request.args.get("event", ""))
    params = {k: request.args[k] for k in ("area", "date") if request.args.get(k)}
    return redirect(url_for(".dashboard", code=event.code, **params))
