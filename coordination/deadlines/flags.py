"""Compliance flags: one status per (schedule, commune, period), written idempotently.

The status is a function of the stored reports (server receive time against the
deadline), never of when the job ran, so an on-time run, a catch-up run after an
outage and a hand run give the same rows. Writes are INSERT ... ON CONFLICT on the
unique key; the update only moves a flag forward (missing → late/on time, or to
an earlier receipt), so concurrent writers — two schedulers, or a job racing a
late report — converge on the same row and never double-flag.
"""
import json
from functools import cache
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite

from ..events import Event, scope_query
from ..extensions import db
from ..reports.models import Report
from ..timeutil import utcnow
from .models import ComplianceFlag, ReportingSchedule
from .schedules import Period, belongs, due_periods, period_of

BATCH = 20_000  # flag rows per upsert statement (bounded memory at national scale)


def status_of(received_at: datetime | None, deadline_utc: datetime, now_utc: datetime) -> str:
    """on_time at or before the deadline (14:00:00 is on time), late after; with no report,
    missing from the deadline on (a report in that very instant still moves it to on_time)."""
    if received_at is None:
        return "missing" if now_utc >= deadline_utc else "pending"
    return "on_time" if received_at <= deadline_utc else "late"


def receipts_by_period(event: Event, periods: list[Period],
                       commune_codes=None) -> dict[str, dict[str, datetime]]:
    """{period key: {commune: earliest server receive time of a report in the period}} for
    every in-scope commune, over all the given periods in one grouped query."""
    result: dict[str, dict[str, datetime]] = {p.key: {} for p in periods}
    if not periods:
        return result
    day_to_key = {}
    for period in periods:
        for n in range((period.last - period.first).days + 1):
            day_to_key[period.first + timedelta(days=n)] = period.key
    query = (select(Report.commune_code, Report.report_date, func.min(Report.first_received_at))
             .where(Report.event_id == event.id,
                    Report.report_date >= min(p.first for p in periods),
                    Report.report_date <= max(p.last for p in periods),
                    Report.commune_code.in_(scope_query(event)))
             .group_by(Report.commune_code, Report.report_date))
    if commune_codes is not None:
        query = query.where(Report.commune_code.in_(list(commune_codes)))
    for code, day, received in db.session.execute(query):
        key = day_to_key.get(day)
        if key is None:
            continue
        slot = result[key]
        if code not in slot or received < slot[code]:
            slot[code] = received
    return result


def first_receipts(event: Event, period: Period, commune_codes=None) -> dict[str, datetime]:
    """Per commune in the event's scope, the earliest server receive time of a report in the period."""
    return receipts_by_period(event, [period], commune_codes)[period.key]


def statuses_by_period(schedule: ReportingSchedule, event: Event, periods: list[Period],
                       now_utc: datetime, commune_codes=None
                       ) -> dict[str, dict[str, tuple[str, datetime | None]]]:
    """{period key: {commune: (status, received_at)}} for every in-scope commune (or the
    ones given), all periods from one query (the catch-up and the board's matrix)."""
    query = scope_query(event)
    if commune_codes is not None:
        query = query.where(query.selected_columns[0].in_(list(commune_codes)))
    codes = list(db.session.scalars(query))
    receipts = receipts_by_period(event, periods, commune_codes)
    result = {}
    for period in periods:
        received, deadline = receipts[period.key], period.deadline_utc
        result[period.key] = {c: (status_of(received.get(c), deadline, now_utc), received.get(c))
                              for c in codes}
    return result


def period_statuses(schedule: ReportingSchedule, event: Event, period: Period,
                    now_utc: datetime, commune_codes=None) -> dict[str, tuple[str, datetime | None]]:
    """{commune: (status, received_at)} for every in-scope commune (or the ones given)."""
    return statuses_by_period(schedule, event, [period], now_utc, commune_codes)[period.key]


COLUMNS = ["schedule_id", "commune_code", "period", "deadline_at", "status", "received_at",
           "flagged_at", "updated_at"]


def _on_conflict(stmt):
    """ON CONFLICT on the unique key; the update only moves a flag forward."""
    table = ComplianceFlag.__table__
    ex = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["schedule_id", "commune_code", "period"],
        set_={"status": ex.status, "received_at": ex.received_at,
              "updated_at": ex.updated_at, "deadline_at": ex.deadline_at},
        where=and_(ex.status != "missing",
                   or_(table.c.received_at.is_(None), ex.received_at < table.c.received_at))
    ).returning(table.c.id)


@cache
def _upsert_statement(dialect: str):
    """INSERT ... ON CONFLICT, run as executemany (SQLite); built once (a late report
    runs it on the submission path)."""
    return _on_conflict((postgresql if dialect == "postgresql" else sqlite).insert(
        ComplianceFlag.__table__))


def _postgres_upsert(rows: list[dict]):
    """One INSERT ... SELECT FROM jsonb_to_recordset(:rows) ON CONFLICT: one short statement
    and one parameter whatever the number of rows (a multi-VALUES batch of thousands of
    named parameters costs psycopg more to parse than PostgreSQL to run)."""
    table = ComplianceFlag.__table__
    record = ", ".join(f"{c} {table.c[c].type.compile(dialect=postgresql.dialect())}"
                       for c in COLUMNS)
    source = text(f"SELECT {', '.join(COLUMNS)} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
                  f"AS r({record})").bindparams(rows=json.dumps(rows, default=_iso))
    return _on_conflict(postgresql.insert(table).from_select(
        COLUMNS, source.columns(*[table.c[c] for c in COLUMNS])))


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))


def upsert_flags(rows: list[dict]) -> int:
    """Insert or move forward flags; returns the number of rows inserted or changed.

    SQLite, and a single row on PostgreSQL (a late report): one cached statement run as
    executemany (batched into multi-VALUES by SQLAlchemy); many rows on PostgreSQL: one
    statement over a JSON array. RETURNING yields exactly the rows inserted or updated on
    both backends.
    """
    if not rows:
        return 0
    connection = db.session.connection()
    dialect = db.engine.dialect.name
    if dialect == "postgresql" and len(rows) > 1:
        return len(connection.execute(_postgres_upsert(rows)).all())
    return len(connection.execute(_upsert_statement(dialect), rows).all())


def flag_rows(schedule: ReportingSchedule, period: Period, statuses: dict) -> list[dict]:
    now = utcnow()
    deadline = period.deadline_utc
    return [{"schedule_id": schedule.id, "commune_code": code, "period": period.key,
             "deadline_at": deadline, "status": status, "received_at": received,
             "flagged_at": now, "updated_at": now}
            for code, (status, received) in statuses.items() if status != "pending"]


@dataclass
class RunResult:
    periods: list[str]
    changed: int  # flag rows inserted or moved forward
    counts: dict[str, int]  # statuses of the latest period


def flag_periods(schedule: ReportingSchedule, event: Event, periods: list[Period],
                 now_utc: datetime) -> RunResult:
    """Compute and upsert the flags of the given periods (the caller's write transaction)."""
    counts: dict[str, int] = {}
    changed = 0
    statuses = statuses_by_period(schedule, event, periods, now_utc)
    rows: list[dict] = []
    for period in periods:
        counts = {"on_time": 0, "late": 0, "missing": 0}  # those of the latest period
        period_rows = flag_rows(schedule, period, statuses[period.key])
        for row in period_rows:
            counts[row["status"]] += 1
        rows += period_rows
    for start in range(0, len(rows), BATCH):
        changed += upsert_flags(rows[start:start + BATCH])
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


def on_report(commune: str, report_date: date, event: Event,
              schedules: list[ReportingSchedule], now_utc: datetime) -> int:
    """A report arrived (inside the submission's write transaction): update flags of periods
    already past their deadline, so a late report turns `missing` into `late`.

    A daily period holds one report, this one, so its first receipt is now and no query is
    needed; a longer period asks the stored reports for its earliest receipt."""
    changed = 0
    for schedule in schedules:
        period = period_of(schedule, report_date)
        if now_utc < period.deadline_utc or not belongs(schedule, event, period):
            continue
        if period.first == period.last:
            statuses = {commune: (status_of(now_utc, period.deadline_utc, now_utc), now_utc)}
        else:
            statuses = period_statuses(schedule, event, period, now_utc, [commune])
        changed += upsert_flags(flag_rows(schedule, period, statuses))
    return changed
