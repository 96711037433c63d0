"""The one operation behind every inbound SMS: `receive_sms`, whichever gateway brought it.

Stores the SMS, finds the commune officer by phone number, parses the text, submits the
report through `reports.submission.submit_report` (channel "sms": the same validation,
versions and deadline flags as the form and the API) and queues exactly one reply in the
notifications outbox: the catalogue's message (errors.py) folded to ASCII. Never commits: entry points call it inside
`retry_on_conflict`, where the unique `dedupe_key` decides a race between two deliveries
of the same SMS (the loser finds the stored row and replays its answer).

Idempotent: the same (sender, text, message id) again stores nothing, queues no second
reply, and answers what the first delivery answered. The report's submission_id is
derived from the same key, so even a lost row would replay, not double-count.
"""
import hashlib
import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..areas.models import Commune
from ..auth.accounts import officers_with_phone
from ..auth.models import User
from ..deadlines.models import Notification
from ..errors import InputError, message
from ..events import date_in_event, in_scope, open_events
from ..extensions import db
from ..indicators import Indicator
from ..reports.models import ReportVersion
from ..reports.submission import Submission, submit_report
from ..timeutil import iso_local, to_local, utcnow
from .ascii import MAX_SMS, clip, fold
from .models import InboundSms
from .parser import ParsedSms, SmsFormatError, format_number, parse_sms
from ..phones import normalise_phone

TRUSTED_SKEW = timedelta(hours=2)

@dataclass
class SmsResult:
    reply: str
    report: dict | None
    errors: dict
    outcome: str
    replayed: bool = False

    def as_dict(self) -> dict:
        return {"reply": self.reply, "report": self.report, "errors": self.errors}


def dedupe_key(sender: str, text: str, message_id: str) -> str:
    return hashlib.sha256(f"{sender}\x1f{text}\x1f{message_id}".encode()).hexdigest()


def effective_received_at(gateway_at: datetime | None, now: datetime) -> datetime:
    """The gateway's receive time (naive UTC) when within 2 hours of our clock, else ours."""
    if gateway_at is not None and abs(gateway_at - now) <= TRUSTED_SKEW:
        return gateway_at
    return now


def sms_codes() -> tuple[dict[str, str], frozenset[str]]:
    """{SMS code: indicator code} of the active catalog, and the indicators that are counts."""
    rows = db.session.execute(select(Indicator.sms_code, Indicator.code, Indicator.whole_number)
                              .where(Indicator.sms_code.is_not(None), Indicator.is_active)).all()
    return ({sms: code for sms, code, _ in rows},
            frozenset(code for _, code, whole in rows if whole))


def _event_for(commune: str, day):
    events = [e for e in open_events() if in_scope(e, commune)]
    for event in events:
        if date_in_event(event, day):
            return event
    return events[0] if events else None


def commune_label(code: str) -> str:
    """'xa That Khe', 'phuong Dong Kinh' (ASCII, for replies)."""
    commune = db.session.get(Commune, code)
    if commune is None:
        return code
    kind = fold(commune.kind).lower() or "xa"
    return f"{kind} {fold(commune.short_name or commune.name)}"


def reply(code: str, **params) -> str:
    """The reply SMS of a catalogue code: its message, in ASCII, within one SMS."""
    return clip(message(code, **params))


def success_reply(parsed: ParsedSms, receipt, commune: str) -> str:
    """'Da nhan BC 08/10 xa That Khe: CH 0 MT 1 (v2)', values dropped from the end if too long."""
    late = "" if receipt.on_time else message("sms_received_late")
    pairs = [f"{v.sms_code} {format_number(v.value)}" for v in parsed.values]

    def text(values: str) -> str:
        return fold(message("sms_received", day=f"{receipt.report_date:%d/%m}",
                            commune=commune_label(commune), values=values,
                            version=receipt.version, late=late))
    body = " ".join(pairs)
    while pairs and len(text(body)) > MAX_SMS:
        pairs.pop()
        body = " ".join(pairs) + " ..."
    return clip(text(body))


def _refusal_reply(exc: InputError, parsed: ParsedSms, day) -> str:
    """Name the first refused token (figure, date, event) and how to fix it."""
    by_indicator = {v.indicator: v for v in parsed.values}
    field, code = next(((f, c) for f, c in exc.errors.items() if f.startswith("figures.")),
                       next(iter(exc.errors.items())))
    value = by_indicator.get(field.removeprefix("figures."))
    token = (f"{value.sms_code} {value.raw}" if value
             else f"{day:%d%m}" if field == "date" else "BC")
    return clip(f"Loi: '{token}' {fold(exc.messages.get(field) or message(code))}")


def _submission(user: User, parsed: ParsedSms, event, day, key: str, at: datetime) -> Submission:
    extra = {}
    if "captured_at" in {f.name for f in fields(Submission)}:  # the lead's new contract
        extra["captured_at"] = iso_local(at)
    return Submission(event=event.code, commune=user.commune_code, date=day.isoformat(),
                      submission_id=f"sms-{key[:60]}", figures=parsed.figures,
                      correction_reason=parsed.reason, **extra)


def _replay(row: InboundSms) -> SmsResult:
    answer = json.loads(row.answer or "{}")
    return SmsResult(row.reply, answer.get("report"), answer.get("errors", {}), row.outcome,
                     replayed=True)


def receive_sms(sender_raw: str, text: str, message_id: str = "",
                gateway_received_at: datetime | None = None, via: str = "api",
                now: datetime | None = None) -> SmsResult:
    """Store one inbound SMS, act on it, queue its one reply. See the module docstring."""
    now = now or utcnow()
    sender = normalise_phone(sender_raw)
    key = dedupe_key(sender, text, message_id)
    stored = db.session.scalar(select(InboundSms).where(InboundSms.dedupe_key == key))
    if stored is not None:
        return _replay(stored)

    at = effective_received_at(gateway_received_at, now)
    row = InboundSms(dedupe_key=key, sender=sender, sender_raw=(sender_raw or "")[:40],
                     text=text, message_id=message_id[:200], via=via,
                     gateway_received_at=gateway_received_at, received_at=now)
    result = _act(row, text, key, at, now)
    row.outcome, row.reply = result.outcome, result.reply
    row.answer = json.dumps({"report": result.report, "errors": result.errors},
                            ensure_ascii=False)
    db.session.add(row)
    db.session.flush()
    if result.reply:
        note = Notification(key=f"sms-reply:{row.id}", commune_code=row.commune_code,
                            channel="sms", recipient=sender_raw or sender, message=result.reply,
                            period=to_local(at).date().isoformat())
        db.session.add(note)
        db.session.flush()
        row.notification_id = note.id
    return result


def _act(row: InboundSms, text: str, key: str, at: datetime, now: datetime) -> SmsResult:
    limit = current_app.config["SMS_RATE_LIMIT_PER_HOUR"]
    recent = db.session.execute(
        select(func.count(InboundSms.id), func.count(InboundSms.id).filter(
            InboundSms.outcome == "rate_limited"))
        .where(InboundSms.sender == row.sender,
               InboundSms.received_at >= now - timedelta(hours=1))).one()
    if recent[0] >= limit:
        # One reply says so; further SMS in the hour are stored and left unanswered.
        answer = "" if recent[1] else reply("rate_limited", limit=limit)
        return SmsResult(answer, None, _err("rate_limited", limit=limit), "rate_limited")

    officers = officers_with_phone(row.sender)
    communes = {u.commune_code for u in officers}
    if not officers:
        return SmsResult(reply("unknown_sender"), None, _err("unknown_sender"), "unknown_sender")
    if len(communes) > 1:
        return SmsResult(reply("ambiguous_sender"), None, _err("ambiguous_sender"),
                         "unknown_sender")
    user = officers[0]
    row.user_id, row.commune_code = user.id, user.commune_code

    today = to_local(at).date()
    try:
        codes, whole = sms_codes()
        parsed = parse_sms(text, codes, today, whole)
    except SmsFormatError as exc:
        return SmsResult(clip("Loi: " + exc.hint), None, _err(exc.code, token=exc.token),
                         "refused")
    day = parsed.day or today
    event = _event_for(user.commune_code, day)
    if event is None:
        commune = commune_label(user.commune_code)
        return SmsResult(reply("no_open_event", commune=commune), None,
                         _err("no_open_event", commune=commune), "refused")

    sub = _submission(user, parsed, event, day, key, at)
    try:
        with db.session.begin_nested():  # a refusal leaves nothing of the attempt behind
            receipt = submit_report(user, sub, channel="sms", received_at=at)
    except InputError as exc:
        errors = {}
        for field, code in exc.errors.items():
            text_ = exc.messages.get(field) or message(code)
            errors.setdefault(code, f"{_sms_field(field, parsed)}: {text_}")
        return SmsResult(_refusal_reply(exc, parsed, day), None, errors, "refused")
    version_id = _version_id(sub.submission_id)
    row.report_version_id = version_id
    return SmsResult(success_reply(parsed, receipt, user.commune_code), receipt.as_dict(), {},
                     "accepted")


def _err(code: str, **params) -> dict:
    """The answer's errors: {code: Vietnamese message} (as the issue's contract says)."""
    return {code: message(code, **params)}


def _sms_field(field: str, parsed: ParsedSms) -> str:
    """figures.people_dead → CH (what the officer typed); other fields unchanged."""
    for v in parsed.values:
        if field == f"figures.{v.indicator}":
            return v.sms_code
    return field


def _version_id(submission_id: str) -> int | None:
    return db.session.scalar(select(ReportVersion.id).where(
        ReportVersion.submission_id == submission_id))
