"""The compliance board: a day's statuses, the commune × period matrix, DHIS2 rates.

Flags are the record; a period not flagged yet (before its deadline) is shown
live from the reports with the same status function, so today reads `pending`
until 14:00. Rates follow DHIS2: reporting rate = received / expected, timely
reporting rate = received on time / expected, expected = flagged periods.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..areas.models import Commune
from ..errors import InputError, message
from ..events import Event
from ..reports.aggregation import scope_select
from ..extensions import db
from ..security import parse_id
from ..timeutil import iso_local, to_local
from .flags import period_statuses, statuses_by_period
from .models import ComplianceFlag, ReportingSchedule
from ..auth.accounts import commune_officers
from .schedules import Period, belongs, due_periods, period_of, schedules_of, upcoming_period

def pick_schedule(event: Event, schedule_id: str | None) -> ReportingSchedule | None:
    """The requested schedule of the event, else its first active one (daily first)."""
    if schedule_id:
        number = parse_id(schedule_id)
        schedule = db.session.get(ReportingSchedule, number) if number else None
        if schedule is None or schedule.event_id != event.id:
            raise InputError(404, {"schedule": "not_found"},
                             {"schedule": message("schedule_not_found")})
        return schedule
    schedules = sorted(schedules_of(event), key=lambda s: s.kind != "daily")
    return schedules[0] if schedules else None


def _names(event: Event, area_code: str | None = None) -> dict[str, str]:
    """Communes of the event's scope, within a named area when one is chosen."""
    return dict(db.session.execute(select(Commune.code, Commune.name)
                                   .where(Commune.code.in_(scope_select(event, area_code)))
                                   .order_by(Commune.code)).all())


def _flags(schedule: ReportingSchedule, period: str | None = None) -> dict:
    """{(commune, period): (status, received_at)} — plain rows, not ORM objects (fast)."""
    f = ComplianceFlag
    query = select(f.commune_code, f.period, f.status, f.received_at).where(
        f.schedule_id == schedule.id)
    if period:
        query = query.where(f.period == period)
    return {(code, key): (status, received) for code, key, status, received in db.session.execute(query)}


@dataclass
class Day:
    period: Period
    rows: list[dict]
    counts: dict[str, int]

    def as_dict(self) -> dict:
        return {"period": self.period.key, "deadline": self.period.deadline.isoformat(),
                "counts": self.counts,
                "communes": [{"code": r["code"], "name": r["name"], "status": r["status"],
                              "received_at": iso_local(r["received_at"]),
                              "officers": [{"name": u.full_name, "phone": u.phone}
                                           for u in r["officers"]]} for r in self.rows]}


def day_board(schedule: ReportingSchedule, event: Event, day: date, now_utc: datetime,
              area_code: str | None = None) -> Day:
    period = period_of(schedule, day)
    if not belongs(schedule, event, period):
        raise InputError(422, {"date": "outside_schedule"})
    names = _names(event, area_code)
    flags = _flags(schedule, period.key)
    live = period_statuses(schedule, event, period, now_utc)
    people = commune_officers(names)
    rows, counts = [], {"on_time": 0, "late": 0, "missing": 0, "pending": 0}
    for code, name in names.items():
        status, received = flags.get((code, period.key)) or live.get(code, ("pending", None))
        counts[status] += 1
        rows.append({"code": code, "name": name, "status": status, "received_at": received,
                     "officers": people.get(code, [])})
    return Day(period, rows, counts)


DEFAULT_DAYS = 14  # the matrix shows the last two weeks unless more is asked for


@dataclass
class Matrix:
    periods: list[Period]
    rows: list[dict] = field(default_factory=list)  # code, name, cells, rates
    province: dict = field(default_factory=dict)
    days: int | None = DEFAULT_DAYS  # None: the whole event
    hidden: int = 0  # earlier periods not shown


def _rates(statuses: list[str]) -> dict:
    """DHIS2 rates over due periods (the open period is not counted as expected)."""
    expected = sum(1 for s in statuses if s in ("on_time", "late", "missing"))
    on_time = statuses.count("on_time")
    received = on_time + statuses.count("late")
    return {"expected": expected, "received": received, "on_time": on_time,
            "reporting_rate": round(100 * received / expected, 1) if expected else None,
            "timely_rate": round(100 * on_time / expected, 1) if expected else None}


def open_period(schedule: ReportingSchedule, event: Event, now_utc: datetime) -> Period | None:
    """The period still before its deadline that reports can already be filed for."""
    period = upcoming_period(schedule, event, now_utc)
    return period if period and period.first <= to_local(now_utc).date() else None


def parse_days(value: str | None) -> int | None:
    """?days=N (1–366) or ?days=all; the default is the last 14 days."""
    if value in (None, ""):
        return DEFAULT_DAYS
    if value == "all":
        return None
    if value.isascii() and value.isdigit() and 1 <= int(value) <= 366:
        return int(value)
    raise InputError.one(422, "days", "invalid")


def matrix(schedule: ReportingSchedule, event: Event, now_utc: datetime,
           area_code: str | None = None, days: int | None = DEFAULT_DAYS) -> Matrix:
    """Communes × the periods of the last `days` days, ending today (the open period live).

    A due period's cell is its flag; where the deadline job has not flagged it (yet), the
    status is computed from the reports the same way, so a day with a report is never
    left grey. Rates cover every due period of the event, not only the ones shown.
    """
    due = due_periods(schedule, event, now_utc)
    current = open_period(schedule, event, now_utc)
    periods = due + ([current] if current else [])
    end = to_local(now_utc).date()
    if event.end_date and event.end_date < end:
        end = event.end_date
    shown = [p for p in periods if p.first <= end and (days is None or p.last > end - timedelta(days=days))]
    names = _names(event, area_code)
    flags = _flags(schedule)
    unflagged = [p for p in due if any((code, p.key) not in flags for code in names)]
    live = statuses_by_period(schedule, event, unflagged + ([current] if current else []),
                              now_utc, list(names) if area_code else None)
    result = Matrix(shown, days=days, hidden=len(periods) - len(shown))
    first_shown = len(periods) - len(shown)
    everything: list[str] = []
    for code, name in names.items():
        cells = [(flags.get((code, p.key)) or live[p.key].get(code, ("none", None)))[0]
                 for p in due]
        everything += cells
        rates = _rates(cells)
        if current:
            cells.append(live[current.key].get(code, ("pending", None))[0])
        result.rows.append({"code": code, "name": name, "cells": cells[first_shown:],
                            "rates": rates})
    result.province = _rates(everything)
    return result
