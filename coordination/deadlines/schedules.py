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

from ..errors import InputError
from ..events import Event
from ..extensions import db
from ..timeutil import local_tz, to_local, to_utc_naive
from .models import KINDS, ReportingSchedule


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
    """The event's active daily schedule, created (deadline = the event's, default 14:00) if none."""
    for schedule in schedules_of(event):
        if schedule.kind == "daily":
            return schedule
    schedule = ReportingSchedule(event_id=event.id, kind="daily", deadline=event.deadline,
                                 reminder_times="10:00,13:00", starts_on=event.start_date)
    db.session.add(schedule)
    db.session.flush()
    return schedule


def _parse_time(value: str, field: str, errors: dict) -> time | None:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        errors[field] = "invalid_time"
        return None


def _day_of_month(raw) -> int | None:
    """1–28 from a form string or a JSON integer; None for anything else (lists, true, '²')."""
    text = raw.strip() if isinstance(raw, str) else str(raw) if type(raw) is int else ""
    day = int(text) if text.isascii() and text.isdigit() else 0
    return day if 1 <= day <= 28 else None


def _refuse_duplicate(event: Event, kind, deadline, due_day, programme) -> None:
    """A second identical active schedule would flag and remind every commune twice."""
    if not event.is_open:
        raise InputError(409, {"event": "closed"}, {"event": "Sự kiện đã kết thúc."})
    for s in schedules_of(event):
        if (s.kind, s.deadline, s.due_day, s.programme) == (kind, deadline, due_day, programme):
            raise InputError(409, {"schedule": "exists"},
                             {"schedule": f"Sự kiện đã có lịch này: {s.label}."})


def create_schedule(event: Event, data) -> ReportingSchedule:
    """Validate form/JSON data and attach a schedule; schedules are not edited, only (de)activated."""
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "daily")
    if kind not in KINDS:
        errors["kind"] = "invalid"
    deadline = _parse_time(str(data.get("deadline") or "14:00"), "deadline", errors)
    raw_reminders = str(data.get("reminder_times") if data.get("reminder_times") is not None
                        else "10:00,13:00")
    reminders = [_parse_time(t, "reminder_times", errors) for t in raw_reminders.split(",") if t.strip()]
    if deadline and any(r and r >= deadline for r in reminders):
        errors["reminder_times"] = "after_deadline"
    due_day = None
    if kind == "monthly":
        raw = data.get("due_day")
        due_day = _day_of_month("10" if raw is None or raw == "" else raw)
        if due_day is None:
            errors["due_day"] = "invalid"
    programme = str(data.get("programme") or "").strip()
    if len(programme) > 300:
        errors["programme"] = "too_long"
    if errors:
        raise InputError(422, errors, {
            k: v for k, v in {"deadline": "Giờ không hợp lệ (HH:MM).",
                              "reminder_times": "Giờ nhắc phải dạng HH:MM, trước hạn báo cáo.",
                              "due_day": "Ngày hạn trong tháng phải từ 1 đến 28."}.items()
            if k in errors})
    _refuse_duplicate(event, kind, deadline, due_day, programme)
    schedule = ReportingSchedule(
        event_id=event.id, kind=kind, deadline=deadline, due_day=due_day, programme=programme,
        reminder_times=",".join(r.strftime("%H:%M") for r in reminders),
        starts_on=event.start_date)
    db.session.add(schedule)
    db.session.flush()
    return schedule
