"""Pages: the compliance board (province) and attaching schedules (admin)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..areas.lookup import all_areas
from ..auth.access import admin_required, provincial_required
from ..errors import InputError, message
from ..database import retry_on_conflict, write_transaction
from ..selection import require_event, resolve
from ..timeutil import utcnow
from .board import day_board, matrix, parse_days, pick_schedule
from .models import KINDS, STATUSES
from .schedules import (create_schedule, ensure_default_schedule, schedules_of,
                        set_schedule_active)

bp = Blueprint("deadlines", __name__)


@bp.get("/events/<code>/compliance")
@provincial_required
def compliance(code):
    selection = resolve(code, request.args, days_ahead=1)  # tomorrow: who is pending
    event = selection.event
    schedule = pick_schedule(event, request.args.get("schedule"))
    days = parse_days(request.args.get("days"))
    context = dict(event=event, schedule=schedule, day=selection.date, STATUSES=STATUSES,
                   schedules=schedules_of(event), area=selection.area, areas=all_areas())
    if schedule is not None:
        now = utcnow()
        try:
            context["board"] = day_board(schedule, event, selection.date, now, selection.area_code)
        except InputError as exc:
            context["board_error"] = exc.messages["date"]
        context["matrix"] = matrix(schedule, event, now, selection.area_code, days)
    return render_template("deadlines/compliance.html", **context)


@bp.route("/events/<code>/schedule", methods=["GET", "POST"])
@admin_required
def schedule(code):
    event = require_event(code)
    errors = {}
    if request.method == "POST":
        try:
            if request.form.get("action") == "default":  # a double click finds the first one
                created = retry_on_conflict(lambda: ensure_default_schedule(event))
            else:
                with write_transaction(conflict=("schedule", "exists")):
                    created = create_schedule(event, request.form)
            flash(message("schedule_attached", label=created.label), "success")
            return redirect(url_for(".schedule", code=code))
        except InputError as exc:
            errors = exc.messages
    return render_template("deadlines/schedule.html", event=event, KINDS=KINDS, errors=errors,
                           form=request.form, schedules=schedules_of(event, active_only=False)), \
        422 if errors else 200


@bp.post("/events/<code>/schedule/<id:schedule_id>/active")
@admin_required
def toggle(code, schedule_id):
    event = require_event(code)
    active = request.form.get("active") == "1"
    with write_transaction(conflict=("schedule", "exists")):
        found = set_schedule_active(event, schedule_id, active)
    flash(message("schedule_resumed" if found.active else "schedule_paused"), "success")
    return redirect(url_for(".schedule", code=code))
