"""The write half of `submit_report`: a report version in a few cached Core statements.

It runs under the write lock on every channel's hot path, so it is kept short (issue 15):
one claim of the day's report (database.claim: an upsert, which takes SQLite's write
lock and locks the row on PostgreSQL, so concurrent corrections of one day take turns); one read of the commune's latest known figures; one
insert of the version and one of its figures. The statements are built once per dialect:
building an ORM statement costs more Python than running it.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, func, insert, select, text, true, update

from ..database import claim
from ..extensions import db
from .models import Report, ReportFigure, ReportVersion

REPORTS, VERSIONS, FIGURES = Report.__table__, ReportVersion.__table__, ReportFigure.__table__


@dataclass
class Known:
    """The commune's latest known cumulative figures for a date (what a blank carries)."""
    report_date: date | None
    figures: dict[str, float]
    last_date: date | None = None  # the commune's latest report date in the event, if read


def _version_at(later: bool):
    """The id of the commune's latest stored version dated on or before :b_day, or (later)
    of the first report dated after it. Reports with a version decide, not `latest_version`:
    the day's report may just have been claimed for a version not written yet. Both steps
    walk an index and stop at the first row (no sort of the commune's history)."""
    r, v = REPORTS.alias(), VERSIONS.alias()
    has_version = select(v.c.id).where(v.c.report_id == r.c.id).exists()
    report = select(r.c.id).where(r.c.event_id == bindparam("b_event"),
                                  r.c.commune_code == bindparam("b_commune"), has_version)
    if later:
        report = report.where(r.c.report_date > bindparam("b_day")).order_by(r.c.report_date)
    else:
        report = (report.where(r.c.report_date <= bindparam("b_day"))
                  .order_by(r.c.report_date.desc()))
    v_latest = VERSIONS.alias()
    return (select(v_latest.c.id).where(v_latest.c.report_id == report.limit(1).scalar_subquery())
            .order_by(v_latest.c.version.desc()).limit(1).scalar_subquery())


def _figures_of(version_id, *columns):
    return (select(REPORTS.c.report_date, *columns, FIGURES.c.indicator_code, FIGURES.c.value)
            .select_from(VERSIONS.join(REPORTS, REPORTS.c.id == VERSIONS.c.report_id)
                         .outerjoin(FIGURES, FIGURES.c.version_id == VERSIONS.c.id))
            .where(VERSIONS.c.id == version_id))


@cache
def _known_statement():
    """The latest known figures on :b_day (an earlier version the same day, else the
    latest earlier date), with the commune's latest report date."""
    r_last = REPORTS.alias("r_last")
    last_date = (select(func.max(r_last.c.report_date))
                 .where(r_last.c.event_id == bindparam("b_event"),
                        r_last.c.commune_code == bindparam("b_commune")).scalar_subquery())
    return _figures_of(_version_at(later=False), last_date.label("last_date"))


@cache
def _next_statement():
    """The figures of the commune's first report dated after :b_day (latest version)."""
    return _figures_of(_version_at(later=True), VERSIONS.c.id, FIGURES.c.carried)


def latest_known(event_id: int, commune: str, day: date) -> Known:
    """The commune's latest known figures on `day`, in one statement."""
    rows = db.session.connection().execute(
        _known_statement(), {"b_event": event_id, "b_commune": commune, "b_day": day}).all()
    if not rows:
        return Known(None, {})
    return Known(rows[0][0], {code: value for _, _, code, value in rows if code is not None},
                 rows[0][1])


def claim_version(event_id: int, commune: str, day: date, now: datetime,
                  on_time: bool) -> tuple[int, int]:
    """(report id, new version number): the day's report created at version 1, or its
    latest version moved on by one. On PostgreSQL the row stays locked until commit."""
    row = claim(REPORTS, {"event_id": event_id, "commune_code": commune, "report_date": day},
                {"first_received_at": now, "on_time": on_time}, counter="latest_version")
    return row.id, row.latest_version


@cache
def _version_insert():
    return insert(VERSIONS).returning(VERSIONS.c.id)


VERSION_FIELDS = ("report_id", "version", "submission_id", "body_hash", "received_at",
                  "captured_at", "on_time", "reporter_id", "note", "correction_reason",
                  "no_damage", "channel")


@cache
def _postgres_version_with_figures():
    """PostgreSQL: the version and its figures in one statement, the figures as one JSON
    parameter (a round trip less on every submission)."""
    version = (insert(VERSIONS).values({name: bindparam(name) for name in VERSION_FIELDS})
               .returning(VERSIONS.c.id).cte("new_version"))
    figures = text("SELECT * FROM jsonb_to_recordset(CAST(:b_figures AS jsonb)) "
                   "AS f(indicator_code varchar, value float8, carried boolean)").columns(
        FIGURES.c.indicator_code, FIGURES.c.value, FIGURES.c.carried).subquery("f")
    return insert(FIGURES).from_select(
        ["version_id", "indicator_code", "value", "carried"],
        select(version.c.id, figures.c.indicator_code, figures.c.value, figures.c.carried)
        .select_from(version.join(figures, true()))  # the one new version × its figures
    ).add_cte(version)


def insert_version(fields: dict, typed: dict[str, float], known: Known) -> None:
    """The version row and every figure: the typed ones, and the blanks carried from
    `known`. A duplicate submission_id fails on its unique index (a twin won the race)."""
    rows = [{"indicator_code": code, "value": value, "carried": False}
            for code, value in typed.items()]
    rows += [{"indicator_code": code, "value": value, "carried": True}
             for code, value in known.figures.items() if code not in typed]
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        connection.execute(_postgres_version_with_figures(),
                           {**fields, "b_figures": json.dumps(rows)})
        return
    version_id = connection.execute(_version_insert(), fields).scalar_one()
    if rows:
        connection.execute(insert(FIGURES), [{"version_id": version_id, **row} for row in rows])


def carry_into_later_reports(event_id: int, commune: str, day: date,
                             values: dict[str, float]) -> None:
    """A correction dated before other reports of the commune: their carried figures (blank
    fields meaning "unchanged") follow it. Typed figures and history are never touched.

    Each later report carries from the one before it, so the walk stops at the first report
    that does not change: nothing after it can change either. One read per report walked.
    """
    connection = db.session.connection()
    while True:
        rows = connection.execute(_next_statement(), {
            "b_event": event_id, "b_commune": commune, "b_day": day}).all()
        if not rows:
            return
        day, version_id = rows[0][0], rows[0][1]
        stored = {code: (value, carried) for _, _, carried, code, value in rows if code}
        missing = [code for code in values if code not in stored]
        moved = [code for code, value in values.items()
                 if code in stored and stored[code][1] and stored[code][0] != value]
        if not missing and not moved:
            return
        if missing:
            connection.execute(insert(FIGURES), [
                {"version_id": version_id, "indicator_code": code, "value": values[code],
                 "carried": True} for code in missing])
        if moved:
            connection.execute(_carried_update(), [
                {"b_version": version_id, "b_code": code, "b_value": values[code]}
                for code in moved])
        values = {**{code: value for code, (value, _) in stored.items()},
                  **{code: values[code] for code in missing + moved}}


@cache
def _carried_update():
    return (update(FIGURES).where(FIGURES.c.version_id == bindparam("b_version"),
                                  FIGURES.c.indicator_code == bindparam("b_code"))
            .values(value=bindparam("b_value")))
