"""Reminders before a deadline: the outbox, the in-app banner, e-mail with retries.

Rows are keyed (reminder, channel, recipient) and inserted with ON CONFLICT DO
NOTHING, so two schedulers remind once. Web requests only read and write rows;
e-mail goes out from the scheduler process (jobs.deliver_email through outbox.py), never
in a request.
These are operations: the jobs in jobs.py own the transactions.
"""
import smtplib
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..areas.models import Commune
from ..auth.accounts import commune_officers
from ..auth.models import User
from ..errors import InputError, message
from ..events import Event, scope_codes
from ..extensions import db
from ..timeutil import fmt_local, to_local, utcnow
from .flags import first_receipts
from .models import ComplianceFlag, Notification, ReportingSchedule
from .schedules import Period, upcoming_period

BANNER_WINDOW = timedelta(days=2)  # the banner shows in-app reminders created this recently


def reminder_text(schedule: ReportingSchedule, event: Event, period: Period, name: str) -> str:
    what = (f"ngày {period.first:%d/%m/%Y}" if schedule.kind == "daily"
            else f"tháng {period.first:%m/%Y}")
    subject = schedule.programme or event.name
    return (f"Nhắc báo cáo: {name} chưa gửi báo cáo {what} ({subject}). "
            f"Hạn chót {period.deadline:%H:%M} ngày {period.deadline:%d/%m/%Y}.")


def _channels() -> list[str]:
    channels = [c.strip() for c in current_app.config["REMINDER_CHANNELS"].split(",")]
    if current_app.config.get("SMTP_HOST"):
        channels.append("email")
    return [c for c in channels if c in ("sms", "zalo", "email")]


def _rows(key: str, schedule, period, code: str, text: str, users: list[User]) -> list[dict]:
    base = {"key": key, "commune_code": code, "schedule_id": schedule.id, "period": period.key,
            "message": text, "created_at": utcnow(), "attempts": 0, "last_error": ""}
    rows = [{**base, "channel": "in_app", "recipient": ""}]
    for channel in _channels():
        for user in users:
            recipient = user.email if channel == "email" else user.phone
            if recipient:
                rows.append({**base, "channel": channel, "recipient": recipient})
    return rows


def insert_notifications(rows: list[dict]) -> int:
    """Insert outbox rows, skipping ones already there; returns how many were new."""
    if not rows:
        return 0
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    table = Notification.__table__
    stmt = dialect.insert(table).on_conflict_do_nothing(
        index_elements=["key", "commune_code", "channel", "recipient"]).returning(table.c.id)
    return len(db.session.connection().execute(stmt, rows).all())


def send_reminders(schedule: ReportingSchedule, event: Event, now_utc: datetime, slot: time) -> int:
    """Outbox entries for every in-scope commune without a report for the period due today.

    `slot` is the configured reminder time: it keys the rows, so a re-run or a
    second scheduler adds nothing.
    """
    period = upcoming_period(schedule, event, now_utc)
    if (period is None or not schedule.active or event.closed_at is not None
            or period.deadline.date() != to_local(now_utc).date()):
        return 0
    key = f"remind:{schedule.id}:{period.key}:{slot:%H%M}"
    received = first_receipts(event, period)
    waiting = [c for c in scope_codes(event) if c not in received]
    names = dict(db.session.execute(select(Commune.code, Commune.name)
                                    .where(Commune.code.in_(waiting))).all())
    people = commune_officers(waiting)
    rows = [row for code in waiting for row in _rows(
        key, schedule, period, code, reminder_text(schedule, event, period, names[code]),
        people.get(code, []))]
    return insert_notifications(rows)


def close_in_app(schedule_id: int, period: str, commune_code: str | None = None) -> None:
    """Take reminders off the banner: the commune reported, or the deadline passed."""
    params = {"b_schedule": schedule_id, "b_period": period, "b_now": utcnow()}
    if commune_code:
        params["b_commune"] = commune_code
    db.session.connection().execute(_close_statement(bool(commune_code)), params)


@cache
def _close_statement(one_commune: bool):
    """Built once: every report (on the submission path) runs it."""
    query = update(Notification).where(
        Notification.channel == "in_app", Notification.sent_at.is_(None),
        Notification.schedule_id == bindparam("b_schedule"),
        Notification.period == bindparam("b_period"))
    if one_commune:
        query = query.where(Notification.commune_code == bindparam("b_commune"))
    return query.values(sent_at=bindparam("b_now")).execution_options(synchronize_session=False)


def mark_notification(note_id: int, delivered: bool, error: str = "") -> Notification:
    """A gateway's word on one outbox row: delivered (kept at its first time) or failed."""
    note = db.session.get(Notification, note_id)
    if note is None:
        raise InputError(404, {"notification": "not_found"},
                         {"notification": message("notification_not_found")})
    if note.sent_at is None:
        note.attempts += 1
        if delivered:
            note.sent_at = utcnow()
        else:
            note.last_error = error[:500]
    db.session.flush()
    return note


# --- e-mail, from the scheduler process only (outbox.deliver) -------------------------

def send_email(note: Notification) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = note.recipient
    message["Subject"] = "Nhắc báo cáo thiệt hại"
    message.set_content(note.message)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=15) as smtp:
        if config.get("SMTP_USER"):
            smtp.starttls()
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


# --- the banner ----------------------------------------------------------------------

def banner_items(commune_code: str, now: datetime | None = None, limit: int = 3) -> list[dict]:
    """For a commune officer: open reminders, then recent periods flagged missing."""
    now = now or utcnow()
    items = [{"kind": "reminder", "text": text} for text in db.session.scalars(
        select(Notification.message).where(
            Notification.commune_code == commune_code, Notification.channel == "in_app",
            Notification.sent_at.is_(None), Notification.created_at >= now - BANNER_WINDOW)
        .order_by(Notification.created_at.desc()).limit(limit))]
    missing = db.session.execute(
        select(ComplianceFlag.period, ComplianceFlag.deadline_at, Event.name)
        .join(ReportingSchedule, ReportingSchedule.id == ComplianceFlag.schedule_id)
        .join(Event, Event.id == ReportingSchedule.event_id)
        .where(ComplianceFlag.commune_code == commune_code, ComplianceFlag.status == "missing",
               Event.closed_at.is_(None), ReportingSchedule.active.is_(True),
               ComplianceFlag.deadline_at >= now - timedelta(days=3))
        .order_by(ComplianceFlag.deadline_at.desc()).limit(limit))
    items += [{"kind": "missing", "text": f"Quá hạn: chưa gửi báo cáo kỳ {period} ({name}), "
                                          f"hạn {fmt_local(deadline)}."}
              for period, deadline, name in missing]
    return items[:limit]
