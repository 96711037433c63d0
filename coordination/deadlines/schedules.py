"""Periods and deadlines of a schedule, in local time (Asia/Ho_Chi_Minh).

Daily: period = the local date D; reports dated D count; due D at the deadline.
Monthly (e.g. "before the 10th"): period = the calendar month M in which the
report is due; any report dated in M counts (the form's date defaults to the
day of filing, and the report covers the previous month's results); due on
`due_day` of M at the deadline time, inclusive. A period belongs to the
schedule when its deadline falls on or after the schedule's start, its first
day on or before the event's end date, and its deadline at or before the
moment the event was closed.
"""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..errors import InputError, Problems, message
from ..events import DEFAULT_DEADLINE, DEFAULT_REMINDERS, KINDS, Event, ReportingSchedule
from ..fields import clock as parse_clock
from ..extensions import db
from ..timeutil import local_tz, to_local, to_utc_naive


@dataclass(frozen=True)
class Period:
    key: str
    first: date  # reports dated first..last count for this period
    last: date
    deadline: datetime  # local, aware

    @property
    def deadline_utc(self) -> datetime:
        return to_utc_naive(self.deadline)


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=local_tz())


def daily_period(schedule: ReportingSchedule, day: date) -> Period:
    return Period(day.isoformat(), day, day, _at(day, schedule.deadline))


def monthly_period(schedule: ReportingSchedule, year: int, month: int) -> Period:
    days = calendar.monthrange(year, month)[1]
    due = date(year, month, min(schedule.due_day or days, days))
    return Period(f"{year:04d}-{month:02d}", date(year, month, 1), date(year, month, days),
                  _at(due, schedule.deadline))


def period_of(schedule: ReportingSchedule, day: date) -> Period:
    """The period a report dated `day` counts for."""
    if schedule.kind == "monthly":
        return monthly_period(schedule, day.year, day.month)
    return daily_period(schedule, day)


def _next(schedule: ReportingSchedule, period: Period) -> Period:
    return period_of(schedule, period.last + timedelta(days=1))


def belongs(schedule: ReportingSchedule, event: Event, period: Period) -> bool:
    if period.deadline.date() < schedule.starts_on:
        return False
    if event.end_date and period.first > event.end_date:
        return False
    return event.closed_at is None or period.deadline_utc <= event.closed_at


def due_periods(schedule: ReportingSchedule, event: Event, now: datetime) -> list[Period]:
    """Every period of the schedule whose deadline is at or before `now` (aware or naive UTC)."""
    now_utc = to_utc_naive(now) if now.tzinfo else now
    periods, period = [], period_of(schedule, schedule.starts_on)
    while period.deadline_utc <= now_utc:
        if belongs(schedule, event, period):
            periods.append(period)
        period = _next(schedule, period)
    return periods


def upcoming_period(schedule: ReportingSchedule, event: Event, now_utc: datetime) -> Period | None:
    """The period whose deadline is next after `now` (what a reminder is about), if in the window."""
    local = to_local(now_utc)
    period = period_of(schedule, local.date())
    if period.deadline_utc < now_utc:
        period = _next(schedule, period)
    return period if belongs(schedule, event, period) else None


def schedules_of(event: Event, active_only: bool = True) -> list[ReportingSchedule]:
    query = select(ReportingSchedule).where(ReportingSchedule.event_id == event.id)
    if active_only:
        query = query.where(ReportingSchedule.active.is_(True))
    return list(db.session.scalars(query.order_by(ReportingSchedule.id)))


def ensure_default_schedule(event: Event) -> ReportingSchedule:
    """The event's active daily schedule; one is created (at the event's deadline) if none.

    Every event gets its daily schedule when it is created; this serves events whose
    daily schedule was paused, and double clicks: a concurrent twin insert is refused
    by the unique index and the entry point's retry finds the row.
    """
    for schedule in schedules_of(event):
        if schedule.kind == "daily":
            return schedule
    schedule = ReportingSchedule(event_id=event.id, kind="daily", deadline=event.deadline,
                                 due_day=0, reminder_times=DEFAULT_REMINDERS,
                                 starts_on=event.start_date)
    db.session.add(schedule)
    db.session.flush()
    return schedule


def _day_of_month(raw) -> int | None:
    """1–28 from a form string or a JSON integer; None for anything else (lists, true, '²')."""
    text = raw.strip() if isinstance(raw, str) else str(raw) if type(raw) is int else ""
    day = int(text) if text.isascii() and text.isdigit() else 0
    return day if 1 <= day <= 28 else None


def _refuse_duplicate(event: Event, kind, deadline, due_day, programme) -> None:
    """A second identical active schedule would flag and remind every commune twice.

    This check gives the clear message; the partial unique index decides races.
    """
    if not event.is_open:
        raise InputError(409, {"event": "closed"})
    for s in schedules_of(event):
        if (s.kind, s.deadline, s.due_day, s.programme) == (kind, deadline, due_day, programme):
            raise InputError(409, {"schedule": "exists"},
                             {"schedule": message("schedule_exists", label=s.label)})


def _reminder_times(data, deadline: time | None, problems: Problems) -> list[time]:
    raw = data.get("reminder_times")
    raw = DEFAULT_REMINDERS if raw is None else str(raw)
    times = [parse_clock(t.strip(), "reminder_times", problems) for t in raw.split(",") if t.strip()]
    if deadline and any(r and r >= deadline for r in times):
        problems.add("reminder_times", "after_deadline")
    return [t for t in times if t]


def create_schedule(event: Event, data) -> ReportingSchedule:
    """Attach a schedule from form/JSON data; schedules are not edited, only (de)activated."""
    problems = Problems()
    kind = str(data.get("kind") or "daily")
    if kind not in KINDS:
        problems.add("kind", "invalid")
    deadline = parse_clock(data.get("deadline"), "deadline", problems, DEFAULT_DEADLINE)
    reminders = _reminder_times(data, deadline, problems)
    due_day = 0
    if kind == "monthly":
        raw = data.get("due_day")
        due_day = _day_of_month("10" if raw is None or raw == "" else raw) or 0
        if not due_day:
            problems.add("due_day", "invalid", say="invalid_due_day")
    programme = str(data.get("programme") or "").strip()
    if len(programme) > 300:
        problems.add("programme", "too_long")
    problems.raise_if_any(422)
    _refuse_duplicate(event, kind, deadline, due_day, programme)
    schedule = ReportingSchedule(
        event_id=event.id, kind=kind, deadline=deadline, due_day=due_day, programme=programme,
        reminder_times=",".join(r.strftime("%H:%M") for r in reminders),
        starts_on=event.start_date)
    db.session.add(schedule)
    db.session.flush()
    return schedule


def set_schedule_active(event: Event, schedule_id: int, active: bool) -> ReportingSchedule:
    """Pause or resume a schedule (resuming a twin of an active one is refused by the index)."""
    found = db.session.get(ReportingSchedule, schedule_id)
    if found is None or found.event_id != event.id:
        raise InputError(404, {"schedule": "not_found"}, {"schedule": message("schedule_not_found")})
    found.active = active
    db.session.flush()
    return found
