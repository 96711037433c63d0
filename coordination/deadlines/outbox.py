"""Sending the notifications outbox (e-mail, SMS through a gateway API): the one way.

From the scheduler process or the CLI, never in a request. For each due row: claim it
in a short transaction of its own, send it with no transaction open (a slow server never
holds a write lock), then record the outcome. A failure is retried with backoff (2, 4,
8… minutes) up to MAX_ATTEMPTS.

The claim is `locked_until = <time of the claim> + CLAIM`, taken by an UPDATE that only
succeeds on a row nobody holds: two schedulers (two hosts) never send one row twice.
It uses the clock at the moment of each claim, not the start of the run: a long run
must not claim rows with a lock that has already expired.
"""
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..database import write_transaction
from ..extensions import db
from ..timeutil import utcnow
from .models import Notification

MAX_ATTEMPTS = 6
CLAIM = timedelta(minutes=5)


def due(channel: str, now: datetime) -> list[int]:
    """Unsent rows of a channel whose next attempt is due, oldest first."""
    return list(db.session.scalars(select(Notification.id).where(
        Notification.channel == channel, Notification.sent_at.is_(None),
        Notification.recipient != "", Notification.attempts < MAX_ATTEMPTS,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.id)))


def claim(note_id: int) -> bool:
    """Take one row for sending (its own transaction); False if sent or held by another."""
    with write_transaction():
        now = utcnow()
        result = db.session.execute(update(Notification).where(
            Notification.id == note_id, Notification.sent_at.is_(None),
            or_(Notification.locked_until.is_(None), Notification.locked_until < now))
            .values(locked_until=now + CLAIM))
        return result.rowcount == 1


def record(note_id: int, error: str | None) -> None:
    """Release the claim with the outcome; a failure backs off 2, 4, 8… minutes."""
    with write_transaction():
        note = db.session.get(Notification, note_id)
        now = utcnow()
        values = {"attempts": note.attempts + 1, "locked_until": None}
        if error is None:
            values.update(sent_at=now, last_error="")
        else:
            values.update(last_error=error[:500],
                          next_attempt_at=now + timedelta(minutes=2 ** (note.attempts + 1)))
        db.session.execute(update(Notification).where(Notification.id == note_id)
                           .values(**values))


def deliver(channel: str, send: Callable[[Notification], None],
            failures: tuple[type[BaseException], ...], now: datetime | None = None) -> dict:
    """Send every due row of the channel with `send`; `failures` are the exceptions that
    mean "not delivered, try again later" (network, server, gateway errors)."""
    result = {"sent": 0, "failed": 0}
    for note_id in due(channel, now or utcnow()):
        if not claim(note_id):
            continue
        try:
            send(db.session.get(Notification, note_id))
            error = None
        except failures as exc:
            error = f"{exc.__class__.__name__}: {exc}"
        record(note_id, error)
        result["failed" if error else "sent"] += 1
    return result
