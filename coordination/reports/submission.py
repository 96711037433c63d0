"""Submitting a daily report: the one operation behind the form, the API, the phone's
outbox, SMS and the province's phone entry.

The rules, for every channel:
- Figures are cumulative. A figure left blank or not sent is unchanged: it carries
  forward the commune's latest known value (an earlier version the same day, else
  the latest earlier date), stored in the version marked `carried`.
- A value below the latest known one needs a correction reason (422
  `decrease_needs_reason`, naming the previous value). Lowering to zero is typing 0.
- A report with no figure at all is refused (422 `empty_report`) unless it says
  `no_damage`.
- A resubmission with the same submission_id is answered with the stored result
  and never counted twice; the same id with another body is a 409.
- Timeliness is the server's receive time against the event's daily deadline;
  `captured_at` (when "Gửi" was pressed on the phone) is kept beside it.
"""
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from blinker import Namespace
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..areas.models import Commune
from ..auth.models import User
from ..auth.access import may_write, require_write
from ..derived import derived_codes
from ..database import retry_on_conflict
from ..errors import InputError, Problems, message
from ..events import Event, date_in_event, in_scope
from ..extensions import db
from ..formatting import vn_number
from ..idempotency import body_digest, check_replay
from ..indicators import Indicator
from ..numbers import blank, read_number
from ..timeutil import iso_local, local_deadline_utc, local_today, to_utc_naive, utcnow
from .models import CHANNELS, Report, ReportVersion
from .store import Known, carry_into_later_reports, claim_version, insert_version, latest_known

signals = Namespace()
# Sent after a report version is stored (deadline flags listen): the Receipt, with event=Event.
report_received = signals.signal("report-received")

MAX_NOTE = 5000
MAX_FIGURES = 200  # the catalog has ~30; a body with thousands of codes is not a report
CATALOG_TTL = 30.0  # seconds a worker trusts its copy of the catalog (admins rarely edit it)


class SubmissionError(InputError):
    """A refused submission (kept as a name for callers; the catalogue gives the messages)."""


@dataclass
class Submission:
    event: str
    commune: str
    date: str
    submission_id: str
    figures: dict = field(default_factory=dict)
    note: str = ""
    correction_reason: str = ""
    no_damage: bool = False
    captured_at: str | None = None  # ISO 8601 with offset, from the phone


@dataclass
class Receipt:
    report_id: int
    version: int
    received_at: datetime  # UTC naive
    on_time: bool
    event: str
    commune: str
    report_date: date
    channel: str = "api"
    replayed: bool = False  # True when an identical resubmission was answered from storage

    def as_dict(self) -> dict:
        return {"id": self.report_id, "version": self.version,
                "received_at": iso_local(self.received_at), "on_time": self.on_time,
                "event": self.event, "commune": self.commune,
                "date": self.report_date.isoformat(), "channel": self.channel}


def body_hash(sub: Submission) -> str:
    """What makes two submissions "the same" (the channel does not: a form sent at once whose
    answer was lost, then resent from the outbox, is one submission)."""
    return body_digest({"event": sub.event, "commune": sub.commune, "date": sub.date,
                        "figures": sub.figures, "note": sub.note,
                        "correction_reason": sub.correction_reason, "no_damage": sub.no_damage,
                        "captured_at": sub.captured_at})


def from_payload(payload) -> Submission:
    """Shape check of a JSON body; field errors use dotted paths such as figures.x."""
    if not isinstance(payload, dict):
        raise SubmissionError(400, {"body": "invalid_json"})
    problems = Problems()
    for name in ("event", "commune", "date", "submission_id"):
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.add(name, "required")
    figures = payload.get("figures", {})
    if not isinstance(figures, dict):
        problems.add("figures", "invalid")
    elif len(figures) > MAX_FIGURES:
        problems.add("figures", "too_many", limit=MAX_FIGURES)
    for name in ("note", "correction_reason"):
        if not isinstance(payload.get(name) or "", str):
            problems.add(name, "invalid")
    if not isinstance(payload.get("no_damage", False), bool):
        problems.add("no_damage", "invalid")
    if not isinstance(payload.get("captured_at") or "", str):
        problems.add("captured_at", "invalid_datetime")
    if len(str(payload.get("submission_id", ""))) > 80:
        problems.add("submission_id", "too_long")
    problems.raise_if_any(422)
    return Submission(event=payload["event"].strip(), commune=payload["commune"].strip(),
                      date=payload["date"].strip(), submission_id=payload["submission_id"].strip(),
                      figures=payload.get("figures") or {}, note=payload.get("note") or "",
                      correction_reason=payload.get("correction_reason") or "",
                      no_damage=payload.get("no_damage", False),
                      captured_at=payload.get("captured_at") or None)


# --- the catalog, cached per worker -----------------------------------------------------

_catalog: dict = {"at": 0.0, "items": {}}


def catalog() -> dict[str, Indicator]:
    """Every indicator by code (active or not: an old code still reads), refreshed every
    CATALOG_TTL seconds and at once in the worker where an admin changed it."""
    if clock.monotonic() - _catalog["at"] > CATALOG_TTL or not _catalog["items"]:
        items = {i.code: i for i in db.session.scalars(select(Indicator))}
        for item in items.values():
            db.session.expunge(item)  # a plain value object, shared across requests
        _catalog.update(at=clock.monotonic(), items=items)
    return _catalog["items"]


def forget_catalog() -> None:
    _catalog["at"] = 0.0


# --- validation --------------------------------------------------------------------------

def parse_figures(raw: dict, problems: Problems) -> dict[str, float]:
    """The figures typed, read by the one number parser; blank ones are left out (unchanged)."""
    known = catalog()
    figures = {}
    for code, value in raw.items():
        key = f"figures.{code}"
        if code not in known:
            problems.add(key, "unknown_indicator")
        elif not blank(value):
            number = read_number(problems, key, value, whole=known[code].whole_number)
            if number is not None:
                figures[code] = number
    return figures


def parse_captured_at(text: str | None, problems: Problems) -> datetime | None:
    """The phone's moment of "Gửi" (ISO 8601 with an offset) as naive UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        problems.add("captured_at", "invalid_datetime")
        return None
    return to_utc_naive(moment)


def _report_date(sub: Submission, event: Event, problems: Problems) -> date | None:
    try:
        day = date.fromisoformat(sub.date)
    except ValueError:
        problems.add("date", "invalid_date")
        return None
    if day > local_today():
        problems.add("date", "future_date")
    elif not date_in_event(event, day):
        problems.add("date", "outside_event")
    return day


def _check_decreases(figures: dict, known: Known, sub: Submission, problems: Problems) -> None:
    if sub.correction_reason.strip():
        return
    for code, value in figures.items():
        previous = known.figures.get(code)
        if previous is not None and value < previous:
            problems.add(f"figures.{code}", "decrease_needs_reason", previous=vn_number(previous))
    if any(code == "decrease_needs_reason" for code in problems.errors.values()):
        problems.add("correction_reason", "required")


def validate(sub: Submission, event: Event) -> tuple[date, dict[str, float], datetime | None]:
    """Every rule of a report that does not depend on earlier reports (read before the write
    lock); returns (date, typed figures, captured_at)."""
    problems = Problems()
    day = _report_date(sub, event, problems)
    if not event.is_open:
        problems.add("event", "event_closed")
    if not in_scope(event, sub.commune):
        problems.add("commune", "commune_outside_event")
    figures = parse_figures(sub.figures, problems)
    for code in sorted(derived_codes(event, figures) & set(figures)):  # e.g. the relief ledger
        problems.add(f"figures.{code}", "from_ledger")
    captured_at = parse_captured_at(sub.captured_at, problems)
    if len(sub.note) > MAX_NOTE:
        problems.add("note", "too_long")
    if len(sub.correction_reason) > MAX_NOTE:
        problems.add("correction_reason", "too_long")
    problems.raise_if_any(422)
    if not figures and not sub.no_damage:
        raise SubmissionError(422, {"figures": "empty_report"})
    return day, figures, captured_at


def check_against_known(sub: Submission, event: Event, day: date, figures: dict) -> Known:
    """The commune's latest known figures (read under the write lock) and the decrease rule."""
    known = latest_known(event.id, sub.commune, day)
    problems = Problems()
    _check_decreases(figures, known, sub, problems)
    problems.raise_if_any(422)
    return known


# --- storing -----------------------------------------------------------------------------

@cache
def _event_statement():
    stored = (select(ReportVersion.id).where(ReportVersion.submission_id == bindparam("b_id"))
              .scalar_subquery())
    return (select(Event, stored).where(Event.code == bindparam("b_code"))
            .options(joinedload(Event.schedules)))


def _event_and_stored(sub: Submission) -> tuple[Event | None, bool]:
    """The event with its schedules (the deadline), and whether the submission id is stored
    already (a resubmission): one read, before anything else."""
    row = db.session.execute(_event_statement(),
                             {"b_code": sub.event, "b_id": sub.submission_id}).unique().first()
    return (row[0], row[1] is not None) if row else (None, False)


@cache
def _replay_statement():
    v, r = ReportVersion.__table__, Report.__table__
    return (select(v.c.body_hash, v.c.version, v.c.received_at, v.c.on_time, v.c.channel,
                   r.c.id, r.c.commune_code, r.c.report_date)
            .join(r, r.c.id == v.c.report_id).where(v.c.submission_id == bindparam("b_id")))


def _replay(sub: Submission, digest: str, user: User, event: Event) -> Receipt:
    """The stored answer to an identical resubmission; 409 if the id was used for another body."""
    row = db.session.connection().execute(_replay_statement(), {"b_id": sub.submission_id}).one()
    stored_hash, version, received_at, on_time, channel, report_id, commune, day = row
    check_replay(stored_hash, digest, may_write(user, commune, channel))
    return Receipt(report_id, version, received_at, on_time, event.code, commune, day, channel,
                   replayed=True)


_communes: set[str] = set()  # codes known to exist (communes are added, never deleted)


def commune_exists(code: str) -> bool:
    if code not in _communes:
        if db.session.get(Commune, code) is None:
            return False
        _communes.add(code)
    return True


def submit(user: User, sub: Submission, channel: str) -> Receipt:
    """submit_report in a write transaction of its own, for the web and API entry points: a
    unique-key race lost to a concurrent twin is run again, so the retry answers from storage."""
    return retry_on_conflict(lambda: submit_report(user, sub, channel=channel))


def submit_report(user: User, sub: Submission, *, channel: str = "api",
                  received_at: datetime | None = None) -> Receipt:
    """The one operation behind every way a report arrives (form, API, offline, SMS, phone).

    Validates, stores a new version (or answers an identical resubmission from
    storage) and sends `report_received`; never commits. Entry points run it through
    `submit()` (or inside their own write transaction). Everything that does not depend on
    other writers is checked first; the first write (claiming the day's version) takes
    the write lock (SQLite; PostgreSQL locks the report's row), and only then is what a
    concurrent writer can change (the commune's latest figures) read. A twin submission
    stored meanwhile fails the version's unique submission_id, and the retry answers
    from storage.
    `received_at` (naive UTC) is the server's receive time unless a gateway's trusted
    time is given; it is taken on arrival, before any wait for the lock.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    now = received_at or utcnow()
    event, stored = _event_and_stored(sub)
    if event is None:
        raise SubmissionError(404, {"event": "not_found"}, {"event": message("event_not_found", code=sub.event)})
    if not commune_exists(sub.commune):
        raise SubmissionError(404, {"commune": "not_found"},
                              {"commune": message("commune_not_found", code=sub.commune)})
    require_write(user, sub.commune, channel)
    digest = body_hash(sub)
    if stored:
        return _replay(sub, digest, user, event)
    day, typed, captured_at = validate(sub, event)
    on_time = now <= local_deadline_utc(day, event.deadline)
    report_id, number = claim_version(event.id, sub.commune, day, now, on_time)
    known = check_against_known(sub, event, day, typed)
    insert_version({
        "report_id": report_id, "version": number, "submission_id": sub.submission_id,
        "body_hash": digest, "received_at": now, "captured_at": captured_at, "on_time": on_time,
        "reporter_id": user.id, "note": sub.note.strip(),
        "correction_reason": sub.correction_reason.strip(), "no_damage": sub.no_damage,
        "channel": channel}, typed, known)
    if known.last_date is None or known.last_date > day:  # later reports may carry from it
        carry_into_later_reports(event.id, sub.commune, day, {**known.figures, **typed})
    receipt = Receipt(report_id, number, now, on_time, event.code, sub.commune, day, channel)
    report_received.send(receipt, event=event)
    return receipt
