"""Sending the SMS outbox through the capcom6 gateway's API (scheduler or CLI, never a request).

Used only when SMS_GATEWAY_API_URL is set (local mode `http://PHONE-IP:8080`, or the
cloud/private server `…/3rdparty/v1`); otherwise a gateway polls /api/v1/notifications.
Each row is claimed atomically (two schedulers never send one reply twice); a failure
is retried with backoff (2, 4, 8… minutes) up to MAX_ATTEMPTS, like the e-mail reminders.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from ..database import write_transaction
from ..deadlines.models import Notification
from ..deadlines.reminders import MAX_ATTEMPTS
from ..extensions import db
from ..timeutil import utcnow

CLAIM = timedelta(minutes=5)


def _claim(note_id: int, now: datetime) -> bool:
    with write_transaction():
        result = db.session.execute(update(Notification).where(
            Notification.id == note_id, Notification.sent_at.is_(None),
            or_(Notification.locked_until.is_(None), Notification.locked_until < now))
            .values(locked_until=now + CLAIM))
        return result.rowcount == 1


def _client():
    from android_sms_gateway import APIClient  # the project's own client (PyPI)

    config = current_app.config
    return APIClient(config["SMS_GATEWAY_LOGIN"], config["SMS_GATEWAY_PASSWORD"],
                     base_url=config["SMS_GATEWAY_API_URL"])


def _send(client, note: Notification) -> None:
    from android_sms_gateway import Message, TextMessage

    client.send(Message(phone_numbers=[note.recipient], text_message=TextMessage(note.message),
                        with_delivery_report=False))


def deliver_sms(now: datetime | None = None) -> dict:
    """Send due SMS rows of the outbox (replies and reminders) through the gateway."""
    now = now or utcnow()
    if not current_app.config.get("SMS_GATEWAY_API_URL"):
        return {"sent": 0, "failed": 0}
    due = list(db.session.scalars(select(Notification.id).where(
        Notification.channel == "sms", Notification.sent_at.is_(None),
        Notification.recipient != "", Notification.attempts < MAX_ATTEMPTS,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.id)))
    result = {"sent": 0, "failed": 0}
    if not due:
        return result
    with _client() as client:
        for note_id in due:
            if not _claim(note_id, now):
                continue
            note = db.session.get(Notification, note_id)
            try:
                _send(client, note)
                values = {"sent_at": utcnow(), "attempts": note.attempts + 1, "last_error": ""}
                result["sent"] += 1
            except Exception as exc:  # noqa: BLE001 — network, HTTP or gateway errors alike
                values = {"attempts": note.attempts + 1, "last_error": repr(exc)[:500],
                          "next_attempt_at": now + timedelta(minutes=2 ** (note.attempts + 1))}
                result["failed"] += 1
            with write_transaction():
                db.session.execute(update(Notification).where(Notification.id == note_id)
                                   .values(locked_until=None, **values))
    return result


def sms_job(app) -> dict:
    with app.app_context():
        return deliver_sms()
