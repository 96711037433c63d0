"""Disaster events (e.g. MATMO-2025), the communes each one concerns, and its schedules.

An event always has a daily reporting schedule: it is created with the event, and
its deadline (14:00 by default) is the one deadline of the event — the flags, the
reminders and a report's `on_time` all read it from there.
"""
from datetime import date, datetime, time

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time,
                        select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import fields
from .areas.models import Commune
from .errors import Problems
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
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    schedules: Mapped[list["ReportingSchedule"]] = relationship(
        back_populates="event", order_by="ReportingSchedule.id", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def daily_schedule(self) -> "ReportingSchedule | None":
        """The event's daily schedule (the active one first): the source of its deadline."""
        daily = sorted((s for s in self.schedules if s.kind == "daily"), key=lambda s: not s.active)
        return daily[0] if daily else None

    @property
    def deadline(self) -> time:
        schedule = self.daily_schedule
        return schedule.deadline if schedule else DEFAULT_DEADLINE

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "type": self.type,
                "start_date": self.start_date.isoformat(),
                "end_date": self.end_date.isoformat() if self.end_date else None,
                "open": self.is_open, "deadline": self.deadline.strftime("%H:%M"),
                "whole_province": self.whole_province,
                "communes": None if self.whole_province else scope_codes(self)}


KINDS = {"daily": "Hằng ngày", "monthly": "Hằng tháng"}
DEFAULT_REMINDERS = "10:00,13:00"


class ReportingSchedule(db.Model):
    """Deadlines of one event: daily (period = local date) or monthly (period = month).

    Two active identical schedules would flag and remind every commune twice, so a
    partial unique index refuses them, whoever races (daily: due_day is 0).
    """
    __tablename__ = "reporting_schedules"
    __table_args__ = (Index("uq_reporting_schedules_active", "event_id", "kind", "deadline",
                            "due_day", "programme", unique=True,
                            sqlite_where=db.text("active"), postgresql_where=db.text("active")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="daily")
    deadline: Mapped[time] = mapped_column(Time, default=DEFAULT_DEADLINE)  # local wall clock
    due_day: Mapped[int] = mapped_column(Integer, default=0)  # monthly: day of the month
    reminder_times: Mapped[str] = mapped_column(String(100), default=DEFAULT_REMINDERS)
    programme: Mapped[str] = mapped_column(String(300), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    event: Mapped[Event] = relationship(back_populates="schedules")

    @property
    def reminders(self) -> list[time]:
        return [time.fromisoformat(t.strip()) for t in self.reminder_times.split(",") if t.strip()]

    @property
    def label(self) -> str:
        when = self.deadline.strftime("%H:%M")
        text = (f"Hằng ngày trước {when}" if self.kind == "daily"
                else f"Hằng tháng trước {when} ngày {self.due_day}")
        return f"{text} · {self.programme}" if self.programme else text


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
    """Whether the event concerns the commune (a known commune code is assumed)."""
    if event.whole_province:
        return True
    return db.session.scalar(
        scope_query(event).where(_code_column(event) == commune_code)) is not None


def _code_column(event: Event):
    return Commune.code if event.whole_province else EventCommune.commune_code


def date_in_event(event: Event, day: date) -> bool:
    return day >= event.start_date and (event.end_date is None or day <= event.end_date)


def _event_code(data: dict, problems: Problems) -> str:
    code = str(data.get("code") or "").strip()
    if not code:
        problems.add("code", "required")
    elif len(code) > 64 or not all(ch.isalnum() or ch in "-_." for ch in code):
        problems.add("code", "invalid")
    elif get_event(code):
        problems.add("code", "exists")
    return code


def _scope(data: dict, problems: Problems) -> list[str]:
    communes = data.get("communes") or []
    if not isinstance(communes, list) or not all(isinstance(c, str) for c in communes):
        problems.add("communes", "invalid")
        return []
    unknown = set(communes) - set(db.session.scalars(select(Commune.code)))
    if unknown:
        problems.add("communes", "unknown_commune", codes=", ".join(sorted(unknown)))
    return sorted(set(communes))


def create_event(data: dict, problems: Problems | None = None) -> Event:
    """Add an event with its daily schedule (deadline `data["deadline"]`, default 14:00).

    `communes` omitted or empty means the whole province. Every field error is
    reported at once (an entry point may pass its own `problems` to add its own).
    """
    problems = problems or Problems()
    code = _event_code(data, problems)
    name = str(data.get("name") or "").strip()
    if not name:
        problems.add("name", "required")
    elif len(name) > 300:
        problems.add("name", "too_long")
    kind = str(data.get("type") or "other")
    if kind not in EVENT_TYPES:
        problems.add("type", "invalid")
    start = fields.day(data, "start_date", problems)
    end = fields.day(data, "end_date", problems, required=False)
    if start and end and end < start:
        problems.add("end_date", "before_start")
    deadline = fields.clock(data.get("deadline"), "deadline", problems, DEFAULT_DEADLINE)
    communes = _scope(data, problems)
    problems.raise_if_any(422)
    event = Event(code=code, name=name, type=kind, start_date=start, end_date=end,
                  whole_province=not communes, description=str(data.get("description") or ""))
    event.schedules.append(ReportingSchedule(kind="daily", deadline=deadline, due_day=0,
                                             reminder_times=DEFAULT_REMINDERS, starts_on=start))
    db.session.add(event)
    db.session.flush()
    db.session.add_all(EventCommune(event_id=event.id, commune_code=c) for c in communes)
    db.session.flush()
    return event


def close_event(event: Event, end_date: date | None = None) -> None:
    event.closed_at = utcnow()
    if end_date:
        event.end_date = end_date
