"""Disaster events (e.g. MATMO-2025) and the communes each one concerns."""
from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, Text, Time, select
from sqlalchemy.orm import Mapped, mapped_column

from .areas.models import Commune
from .errors import InputError
from .extensions import db
from .timeutil import utcnow

EVENT_TYPES = {
    "storm": "Bão, áp thấp nhiệt đới",
    "flood": "Mưa lũ, ngập lụt",
    "storm_flood": "Bão và mưa lũ",
    "landslide": "Sạt lở đất, lũ quét",
    "drought": "Hạn hán",
    "cold": "Rét đậm, rét hại",
    "other": "Khác",
}
DEFAULT_DEADLINE = time(14, 0)


class Event(db.Model):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(40), default="other")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    whole_province: Mapped[bool] = mapped_column(Boolean, default=True)
    deadline: Mapped[time] = mapped_column(Time, default=DEFAULT_DEADLINE)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class EventCommune(db.Model):
    """Scope of an event that does not cover the whole province."""
    __tablename__ = "event_communes"
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    commune_code: Mapped[str] = mapped_column(
        ForeignKey("communes.code", ondelete="CASCADE"), primary_key=True)


def get_event(code: str) -> Event | None:
    return db.session.scalar(select(Event).where(Event.code == code))


def open_events() -> list[Event]:
    return list(db.session.scalars(
        select(Event).where(Event.closed_at.is_(None)).order_by(Event.start_date.desc())))


def scope_query(event: Event):
    """SELECT of the commune codes an event concerns (usable as a subquery)."""
    if event.whole_province:
        return select(Commune.code)
    return select(EventCommune.commune_code).where(EventCommune.event_id == event.id)


def scope_codes(event: Event) -> list[str]:
    return list(db.session.scalars(scope_query(event)))


def in_scope(event: Event, commune_code: str) -> bool:
    return db.session.scalar(
        scope_query(event).where(_code_column(event) == commune_code)) is not None


def _code_column(event: Event):
    return Commune.code if event.whole_province else EventCommune.commune_code


def date_in_event(event: Event, day: date) -> bool:
    return day >= event.start_date and (event.end_date is None or day <= event.end_date)


def _parse_day(data: dict, name: str, errors: dict, required: bool) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            errors[name] = "required"
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = "invalid_date"
        return None


def create_event(data: dict) -> Event:
    """Validate and add an event; `communes` omitted or empty means the whole province."""
    errors: dict[str, str] = {}
    code = str(data.get("code") or "").strip()
    name = str(data.get("name") or "").strip()
    if not code:
        errors["code"] = "required"
    elif len(code) > 64 or not all(ch.isalnum() or ch in "-_." for ch in code):
        errors["code"] = "invalid"
    elif get_event(code):
        errors["code"] = "exists"
    if not name:
        errors["name"] = "required"
    kind = str(data.get("type") or "other")
    if kind not in EVENT_TYPES:
        errors["type"] = "invalid"
    start = _parse_day(data, "start_date", errors, required=True)
    end = _parse_day(data, "end_date", errors, required=False)
    if start and end and end < start:
        errors["end_date"] = "before_start"
    communes = data.get("communes") or []
    if not isinstance(communes, list) or not all(isinstance(c, str) for c in communes):
        errors["communes"] = "invalid"
        communes = []
    unknown = set(communes) - set(db.session.scalars(select(Commune.code)))
    if unknown:
        errors["communes"] = "unknown_commune"
    if errors:
        messages = {"end_date": "Ngày kết thúc phải sau ngày bắt đầu.",
                    "communes": "Mã xã/phường không tồn tại: " + ", ".join(sorted(unknown))}
        raise InputError(422, errors, {k: v for k, v in messages.items() if k in errors})
    event = Event(code=code, name=name, type=kind, start_date=start, end_date=end,
                  whole_province=not communes, description=str(data.get("description") or ""))
    db.session.add(event)
    db.session.flush()
    db.session.add_all(EventCommune(event_id=event.id, commune_code=c) for c in sorted(set(communes)))
    return event


def close_event(event: Event, end_date: date | None = None) -> None:
    event.closed_at = utcnow()
    if end_date:
        event.end_date = end_date


def event_dict(event: Event) -> dict:
    return {"code": event.code, "name": event.name, "type": event.type,
            "start_date": event.start_date.isoformat(),
            "end_date": event.end_date.isoformat() if event.end_date else None,
            "open": event.is_open, "deadline": event.deadline.strftime("%H:%M"),
            "whole_province": event.whole_province,
            "communes": None if event.whole_province else scope_codes(event)}
