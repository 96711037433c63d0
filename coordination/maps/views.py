"""Map pages: the interactive map, its PNG, and the incident/facility forms."""
from urllib.parse import urlparse

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from sqlalchemy import select

from ..areas.models import Commune
from ..auth.access import (admin_required, entry_channel, is_staff, login_required,
                           provincial_required)
from ..database import write_transaction
from ..errors import InputError, message
from ..extensions import db
from ..selection import require_event, resolve
from .incidents import FACILITY_KINDS, INCIDENT_KINDS, add_facility, add_incident
from .page import map_page_context, popup_html
from .static import render_map_png

bp = Blueprint("maps", __name__)


@bp.get("/events/<code>/map")
@provincial_required
def event_map(code):
    selection = resolve(code, request.args)
    context = map_page_context(selection, request.args.get("indicator"),
                               tiles=current_app.config.get("MAP_TILES", ""),
                               attribution=current_app.config.get("MAP_TILES_ATTRIBUTION", ""))
    return render_template("maps/map.html", values={}, **context, **_form_options())


@bp.get("/events/<code>/map/communes/<commune>")
@provincial_required
def commune_popup_fragment(code, commune):
    """Popup HTML of one commune (escaped user text), fetched by the map when clicked."""
    selection = resolve(code, request.args)
    return popup_html(selection, request.args.get("indicator"), commune)


@bp.get("/events/<code>/map.png")
@provincial_required
def event_map_png(code):
    selection = resolve(code, request.args)
    png = render_map_png(selection, request.args.get("indicator") or "houses_collapsed")
    name = f"ban-do-{selection.event.code}-{selection.date.isoformat()}.png"
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


def _form_options() -> dict:
    return {"kinds": INCIDENT_KINDS, "facility_kinds": FACILITY_KINDS,
            "communes": list(db.session.execute(select(Commune.code, Commune.name)
                                                .order_by(Commune.name)))}


def _safe_next(default: str) -> str:
    """Only local paths: an incident form must not redirect off-site."""
    target = request.form.get("next") or ""
    parsed = urlparse(target)
    return target if target.startswith("/") and not parsed.netloc and not parsed.scheme else default


@bp.route("/events/<code>/incidents/new", methods=["GET", "POST"])
@login_required
def incident_form(code):
    event = require_event(code)
    if request.method == "GET":
        return render_template("maps/incident_form.html", event=event, values={}, errors={},
                               **_form_options())
    try:
        with write_transaction():
            add_incident(event, current_user, request.form, entry_channel(current_user, "web"))
    except InputError as exc:
        return render_template("maps/incident_form.html", event=event, values=request.form,
                               errors=exc.messages, **_form_options()), exc.status
    flash(message("incident_saved"), "success")
    default = (url_for("maps.event_map", code=code) if is_staff(current_user)
               else url_for("maps.incident_form", code=code))
    return redirect(_safe_next(default), 303)


@bp.post("/facilities")
@admin_required
def facility_add():
    try:
        with write_transaction():
            facility = add_facility(request.form)
    except InputError as exc:
        return render_template("error.html", code=exc.status, title="Dữ liệu không hợp lệ",
                               messages=exc.messages), exc.status
    flash(message("facility_added", kind=FACILITY_KINDS[facility.kind].lower(),
                  name=facility.name), "success")
    return redirect(_safe_next(url_for("web.home")), 303)

