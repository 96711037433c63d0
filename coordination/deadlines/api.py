"""JSON: compliance of a day, and the notifications outbox for an SMS/Zalo gateway."""
from flask import Blueprint, jsonify, request
from sqlalchemy import select

from ..http import json_body
from ..auth.access import admin_required, gateway_required, provincial_required
from ..database import write_transaction
from ..errors import InputError, message
from ..extensions import db
from ..selection import require_event, resolve
from ..timeutil import utcnow
from .board import day_board, pick_schedule
from .models import CHANNELS, Notification
from .outbox import MAX_ATTEMPTS
from .reminders import mark_notification
from .schedules import create_schedule

bp = Blueprint("deadlines_api", __name__, url_prefix="/api/v1")


def _no_schedule():
    return InputError(404, {"schedule": "not_found"}, {"schedule": message("no_schedule")})


@bp.get("/events/<code>/compliance")
@provincial_required
def compliance(code):
    selection = resolve(code, request.args, days_ahead=1)  # tomorrow: who is pending
    schedule = pick_schedule(selection.event, request.args.get("schedule"))
    if schedule is None:
        raise _no_schedule()
    board = day_board(schedule, selection.event, selection.date, utcnow(), selection.area_code)
    return jsonify(event=selection.event.code, date=selection.date.isoformat(),
                   area=selection.area_code,
                   schedule={"id": schedule.id, "kind": schedule.kind, "label": schedule.label},
                   **board.as_dict())


@bp.post("/events/<code>/schedules")
@admin_required
def post_schedule(code):
    data = json_body()
    with write_transaction(conflict=("schedule", "exists")):
        schedule = create_schedule(require_event(code), data)
    return jsonify(id=schedule.id, kind=schedule.kind, label=schedule.label), 201


STATUS_FILTERS = {
    "pending": lambda: (Notification.sent_at.is_(None), Notification.attempts < MAX_ATTEMPTS),
    "sent": lambda: (Notification.sent_at.is_not(None),),
    "failed": lambda: (Notification.sent_at.is_(None), Notification.attempts >= MAX_ATTEMPTS),
    "all": lambda: (),
}


@bp.get("/notifications")
@gateway_required
def notifications():
    """Outbox rows; a gateway polls ?status=pending&channel=sms (default channels: sms, zalo)."""
    status = request.args.get("status", "pending")
    channels = request.args.get("channel", "sms,zalo").split(",")
    if status not in STATUS_FILTERS or not set(channels) <= set(CHANNELS):
        raise InputError(400, {"status" if status not in STATUS_FILTERS else "channel": "invalid"})
    try:
        limit = min(max(int(request.args.get("limit", 100)), 1), 1000)
    except ValueError:
        raise InputError(400, {"limit": "invalid"}) from None
    rows = db.session.scalars(select(Notification).where(
        Notification.channel.in_(channels), *STATUS_FILTERS[status]())
        .order_by(Notification.id).limit(limit))
    return jsonify(notifications=[n.as_dict() for n in rows])


@bp.post("/notifications/<id:note_id>/sent")
@gateway_required
def mark_sent(note_id):
    """The gateway delivered it (idempotent: a repeat keeps the first time)."""
    with write_transaction():
        note = mark_notification(note_id, delivered=True)
    return jsonify(note.as_dict())


@bp.post("/notifications/<id:note_id>/failed")
@gateway_required
def mark_failed(note_id):
    """The gateway could not deliver: count the attempt, keep the error for the operator."""
    error = str(json_body(empty_ok=True).get("error") or "")
    with write_transaction():
        note = mark_notification(note_id, delivered=False, error=error)
    return jsonify(note.as_dict())
