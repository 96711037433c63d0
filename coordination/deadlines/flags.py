"""Compliance flags: one status per (schedule, commune, period), written idempotently.

The status is a function of the stored reports (server receive time against the
deadline), never of when the job ran, so an on-time run, a catch-up run after an
outage and a hand run give the same rows. Writes are INSERT ... ON CONFLICT on the
unique key; the update only moves a flag forward (missing → late/on time, or to
an earlier receipt), so concurrent writers — two schedulers, or a job racing a
late report — converge on the same row and never double-flag.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ..database import write_transaction
from ..events import Event, scope_query
from ..extensions import db
from ..reports.models import Report
from ..timeutil import utcnow
from .models import ComplianceFlag, ReportingSchedule
from .schedules import Period, belongs, due_periods, period_of

def status_of(received_at: datetime | None, deadline_utc: datetime, now_utc: datetime) -> str:
    """on_time at or before the deadline (14:00:00 is on time), late after; with no report,
    missing from the deadline on (a report in that very instant still moves it to on_time)."""
    if received_at is None:
        return "missing" if now_utc >= deadline_utc else "pending"
    return "on_time" if received_at <= deadline_utc else "late"


def first_receipts(event: Event, period: Period, commune_codes=None) -> dict[str, datetime]:
    """Per commune in the event's scope, the earliest server receive time of a report in the period."""
    scope = scope_query(event)
    query = (select(Report.commune_code, func.min(Report.first_received_at))
             .where(Report.event_id == event.id, Report.report_date >= period.first,
                    Report.report_date <= period.last, Report.commune_code.in_(scope))
             .group_by(Report.commune_code))
    if commune_codes is not None:
        query = query.where(Report.commune_code.in_(list(commune_codes)))
    return dict(db.session.execute(query).all())


def period_statuses(schedule: ReportingSchedule, event: Event, period: Period,
                    now_utc: datetime, commune_codes=None) -> dict[str, tuple[str, datetime | None]]:
    """{commune: (status, received_at)} for every in-scope commune (or the ones given)."""
    codes = list(db.session.scalars(scope_query(event)))
    if commune_codes is not None:
        wanted = set(commune_codes)
        codes = [c for c in codes if c in wanted]
    received = first_receipts(event, period, commune_codes)
    return {c: (status_of(received.get(c), period.deadline_utc, now_utc), received.get(c))
            for c in codes}


def _upsert_statement(dialect: str):
    """INSERT ... ON CONFLICT on the unique key; the update only moves a flag forward."""
    table = ComplianceFlag.__table__
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    ex = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["schedule_id", "commune_code", "period"],
        set_={"status": ex.status, "received_at": ex.received_at,
              "updated_at": ex.updated_at, "deadline_at": ex.deadline_at},
        where=and_(ex.status != "missing",
                   or_(table.c.received_at.is_(None), ex.received_at < table.c.received_at))
    ).returning(table.c.id)


def upsert_flags(rows: list[dict]) -> int:
    """Insert or move forward flags; returns the number of rows inserted or changed.

    One cached statement run as executemany (batched into multi-VALUES by SQLAlchemy);
    RETURNING yields exactly the rows inserted or updated on both backends.
    """
    if not rows:
        return 0
    stmt = _upsert_statement(db.engine.dialect.name)
    return len(db.session.connection().execute(stmt, rows).all())


def flag_rows(schedule: ReportingSchedule, period: Period, statuses: dict) -> list[dict]:
    now = utcnow()
    return [{"schedule_id": schedule.id, "commune_code": code, "period": period.key,
             "deadline_at": period.deadline_utc, "status": status, "received_at": received,
             "flagged_at": now, "updated_at": now}
            for code, (status, received) in statuses.items() if status != "pending"]


@dataclass
class RunResult:
    periods: list[str]
    changed: int  # flag rows inserted or moved forward
    counts: dict[str, int]  # statuses of the latest period


def flag_periods(schedule: ReportingSchedule, event: Event, periods: list[Period],
                 now_utc: datetime) -> RunResult:
    """Compute and upsert the flags of the given periods in one write transaction."""
    counts: dict[str, int] = {}
    changed = 0
    with write_transaction():
        for period in periods:
            counts = {"on_time": 0, "late": 0, "missing": 0}  # those of the latest period
            rows = flag_rows(schedule, period, period_statuses(schedule, event, period, now_utc))
            for row in rows:
                counts[row["status"]] += 1
            changed += upsert_flags(rows)
    return RunResult([p.key for p in periods], changed, counts)


def complete_periods(schedule: ReportingSchedule, event: Event) -> set[str]:
    """Periods with a flag for every commune in scope (a lone late-report flag is not enough)."""
    expected = len(db.session.scalars(scope_query(event)).all())
    counts = db.session.execute(select(ComplianceFlag.period, func.count())
                                .where(ComplianceFlag.schedule_id == schedule.id)
                                .group_by(ComplianceFlag.period))
    return {period for period, n in counts if n >= expected}


def run_deadline(schedule: ReportingSchedule, event: Event, now_utc: datetime,
                 full: bool = False) -> RunResult:
    """The deadline job: flag the latest due period and every due period not fully flagged
    yet (catch-up after downtime); `full` recomputes all due periods."""
    if not schedule.active:
        return RunResult([], 0, {})
    periods = due_periods(schedule, event, now_utc)
    if not full and periods:
        done = complete_periods(schedule, event)
        periods = [p for p in periods[:-1] if p.key not in done] + periods[-1:]
    return flag_periods(schedule, event, periods, now_utc)


def on_report(report: Report, event: Event, schedules: list[ReportingSchedule],
              now_utc: datetime) -> int:
    """A report arrived (inside the submission's write transaction): update flags of periods
    already past their deadline, so a late report turns `missing` into `late`."""
    changed = 0
    for schedule in schedules:
        period = period_of(schedule, report.report_date)
        if now_utc < period.deadline_utc or not belongs(schedule, event, period):
            continue
        statuses = period_statuses(schedule, event, period, now_utc, [report.commune_code])
        changed += upsert_flags(flag_rows(schedule, period, statuses))
    return changed

