"""Pages: the compliance board (province) and attaching schedules (admin)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..areas.lookup import all_areas
from ..auth.access import admin_required, provincial_required
from ..errors import InputError
from ..extensions import db
from ..selection import require_event, resolve
from ..timeutil import utcnow
from .board import day_board, matrix, pick_schedule
from .models import KINDS, STATUSES, ReportingSchedule
from .schedules import create_schedule, ensure_default_schedule, schedules_of

bp = Blueprint("deadlines", __name__)


@bp.get("/events/<code>/compliance")
@provincial_required
def compliance(code):
    selection = resolve(code, request.args)
    event = selection.event
    schedule = pick_schedule(event, request.args.get("schedule"))
    context = dict(event=event, schedule=schedule, day=selection.date, STATUSES=STATUSES,
                   schedules=schedules_of(event), area=selection.area, areas=all_areas())
    if schedule is not None:
        now = utcnow()
        try:
            context["board"] = day_board(schedule, event, selection.date, now, selection.area_code)
        except InputError as exc:
            context["board_error"] = exc.messages["date"]
        context["matrix"] = matrix(schedule, event, now, selection.area_code)
    return render_template("deadlines/compliance.html", **context)


@bp.route("/events/<code>/schedule", methods=["GET", "POST"])
@admin_required
def schedule(code):
    event = require_event(code)
    errors = {}
    if request.method == "POST":
        try:
            if request.form.get("action") == "default":
                created = ensure_default_schedule(event)
            else:
                created = create_schedule(event, request.form)
            db.session.commit()
            flash(f"Đã gắn lịch báo cáo: {created.label}.", "success")
            return redirect(url_for(".schedule", code=code))
        except InputError as exc:
            db.session.rollback()
            errors = exc.messages
    return render_template("deadlines/schedule.html", event=event, KINDS=KINDS, errors=errors,
                           form=request.form, schedules=schedules_of(event, active_only=False)), \
        422 if errors else 200


@bp.post("/events/<code>/schedule/<int:schedule_id>/active")
@admin_required
def toggle(code, schedule_id):
    event = require_event(code)
    found = db.session.get(ReportingSchedule, schedule_id)
    if found is None or found.event_id != event.id:
        raise InputError(404, {"schedule": "not_found"}, {"schedule": "Không tìm thấy lịch báo cáo."})
    found.active = request.form.get("active") == "1"
    db.session.commit()
    flash("Đã bật lịch báo cáo." if found.active else "Đã tạm dừng lịch báo cáo.", "success")
    return redirect(url_for(".schedule", code=code))
