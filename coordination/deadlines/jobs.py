"""What the scheduler runs, as plain functions of the database and a moment (UTC).

Each needs an application context and nothing else, so the CLI, the tests and
APScheduler call the very same code.
"""
import smtplib
from datetime import datetime, time

from flask import current_app
from sqlalchemy import select

from ..database import write_transaction
from ..events import Event
from ..extensions import db
from ..timeutil import local_deadline_utc, to_local
from .flags import RunResult, run_deadline
from .models import ReportingSchedule
from . import outbox
from .reminders import close_in_app, send_email, send_reminders


def live_schedules(event_code: str | None = None) -> list[tuple[ReportingSchedule, Event]]:
    """Active schedules of open events (closing an event stops its schedule)."""
    query = (select(ReportingSchedule, Event).join(Event, Event.id == ReportingSchedule.event_id)
             .where(ReportingSchedule.active.is_(True), Event.closed_at.is_(None))
             .order_by(ReportingSchedule.id))
    if event_code:
        query = query.where(Event.code == event_code)
    return [tuple(row) for row in db.session.execute(query)]


def deadline_for(schedule_id: int, now_utc: datetime, full: bool = False) -> RunResult | None:
    """The deadline job of one schedule; safe to run twice or from two processes at once."""
    schedule = db.session.get(ReportingSchedule, schedule_id)
    event = schedule.event if schedule else None
    if event is None or event.closed_at is not None:
        return None  # closing an event stops its schedule
    with write_transaction():
        result = run_deadline(schedule, event, now_utc, full)
        if result.periods:
            close_in_app(schedule.id, result.periods[-1])
    return result


def run_deadlines(now_utc: datetime, event_code: str | None = None,
                  full: bool = False) -> dict[int, RunResult]:
    """Every live schedule's deadline job as of `now` (the operator's hand run, the catch-up)."""
    ids = [s.id for s, _ in live_schedules(event_code)]
    return {sid: deadline_for(sid, now_utc, full) for sid in ids}


def reminders_for(schedule_id: int, now_utc: datetime, slot: time) -> int:
    schedule = db.session.get(ReportingSchedule, schedule_id)
    if schedule is None:
        return 0
    with write_transaction():
        return send_reminders(schedule, schedule.event, now_utc, slot)


def catch_up(now_utc: datetime) -> dict[int, RunResult]:
    """On scheduler start: every deadline missed while it was down, and today's latest
    reminder if it was missed too (keyed by its slot, so never sent twice)."""
    results = run_deadlines(now_utc)
    today = to_local(now_utc).date()
    for schedule, _ in live_schedules():
        passed = [r for r in schedule.reminders if local_deadline_utc(today, r) <= now_utc]
        if passed:
            reminders_for(schedule.id, now_utc, max(passed))
    return results


def deliver_email(now: datetime | None = None) -> dict:
    """Send due e-mails through the one outbox sender (outbox.py)."""
    if not current_app.config.get("SMTP_HOST"):
        return {"sent": 0, "failed": 0}
    return outbox.deliver("email", send_email, (OSError, smtplib.SMTPException), now)
