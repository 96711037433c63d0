"""The one aggregation every page, API, map and export uses.

The figure of a commune on date D is its latest report dated on or before D
(latest version). Communes whose latest report is older than D are stale.
Area and province totals are sums over communes. All of it runs in SQL. Figures a
feature derives (the relief ledger's rice, coordination/derived.py) replace typed ones.

`summarize` gives one day; `daily_totals` the same rule for every day of an event at
once (the dashboard's trend), proven equal to `summarize` day by day in the tests.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, and_, func, select

from ..areas.models import AreaCommune, Commune
from ..auth.models import User
from ..derived import derived_codes, derived_figures, overlay
from ..events import Event, scope_query
from ..extensions import db
from ..timeutil import iso_local
from .models import Report, ReportFigure, ReportVersion


@dataclass
class CommuneFigures:
    code: str
    name: str
    report_date: date | None = None
    stale: bool = False
    figures: dict[str, float] = field(default_factory=dict)
    report_id: int | None = None
    version: int | None = None
    received_at: datetime | None = None  # UTC of the version in use
    on_time: bool | None = None
    note: str = ""

    @property
    def status(self) -> str:
        """reported (for D) | stale (older figures) | missing (never reported)."""
        if self.report_date is None:
            return "missing"
        return "stale" if self.stale else "reported"

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "status": self.status,
                "report_date": self.report_date.isoformat() if self.report_date else None,
                "stale": self.stale, "version": self.version,
                "received_at": iso_local(self.received_at), "on_time": self.on_time,
                "figures": self.figures}


@dataclass
class Summary:
    event: Event
    date: date
    area: str | None
    totals: dict[str, float]
    communes: list[CommuneFigures]

    @property
    def reported(self) -> int:
        return sum(1 for c in self.communes if c.status == "reported")

    @property
    def stale(self) -> int:
        return sum(1 for c in self.communes if c.status == "stale")

    @property
    def missing(self) -> int:
        """Communes with no report for the date (stale or never reported)."""
        return len(self.communes) - self.reported

    def as_dict(self) -> dict:
        return {"event": self.event.code, "date": self.date.isoformat(), "area": self.area,
                "totals": self.totals, "reported": self.reported, "stale": self.stale,
                "missing": self.missing, "expected": len(self.communes),
                "communes": [c.as_dict() for c in self.communes]}


def scope_select(event: Event, area_code: str | None = None, commune_codes=None):
    """SELECT of the commune codes in the event's scope, narrowed to an area or a list."""
    scope = scope_query(event)
    col = scope.selected_columns[0]
    if area_code:
        scope = scope.where(col.in_(
            select(AreaCommune.commune_code).where(AreaCommune.area_code == area_code)))
    if commune_codes is not None:
        scope = scope.where(col.in_(list(commune_codes)))
    return scope


def latest_report_ids(event: Event, on_date: date, scope) -> list[int]:
    """Per commune in scope, the id of its latest report dated on or before the date.

    A correlated LIMIT 1 on the (event, commune, date) unique index: one index
    probe per commune instead of grouping every report of the event.
    """
    latest = (select(Report.id)
              .where(Report.event_id == event.id, Report.commune_code == Commune.code,
                     Report.report_date <= on_date)
              .order_by(Report.report_date.desc()).limit(1)
              .correlate(Commune).scalar_subquery())
    ids = db.session.scalars(select(latest).select_from(Commune).where(Commune.code.in_(scope)))
    return [i for i in ids if i is not None]


def summarize(event: Event, on_date: date, area_code: str | None = None,
              commune_codes=None) -> Summary:
    scope = scope_select(event, area_code, commune_codes)
    communes = {code: CommuneFigures(code=code, name=name) for code, name in db.session.execute(
        select(Commune.code, Commune.name).where(Commune.code.in_(scope)).order_by(Commune.code))}
    report_ids = latest_report_ids(event, on_date, scope)
    current = db.session.execute(
        select(Report.id, Report.commune_code, Report.report_date, Report.on_time,
               ReportVersion.id.label("version_id"), ReportVersion.version,
               ReportVersion.received_at, ReportVersion.note)
        .join(ReportVersion, and_(ReportVersion.report_id == Report.id,
                                  ReportVersion.version == Report.latest_version))
        .where(Report.id.in_(report_ids))).all()
    by_version = {}
    for r in current:
        commune = communes[r.commune_code]
        commune.report_id, commune.report_date, commune.version = r.id, r.report_date, r.version
        commune.stale = r.report_date < on_date
        commune.received_at, commune.on_time, commune.note = r.received_at, r.on_time, r.note or ""
        by_version[r.version_id] = commune
    version_ids = list(by_version)
    figures = db.session.execute(
        select(ReportFigure.version_id, ReportFigure.indicator_code, ReportFigure.value)
        .where(ReportFigure.version_id.in_(version_ids)))
    for version_id, indicator, value in figures:
        by_version[version_id].figures[indicator] = value
    totals = dict(db.session.execute(
        select(ReportFigure.indicator_code, func.sum(ReportFigure.value))
        .where(ReportFigure.version_id.in_(version_ids))
        .group_by(ReportFigure.indicator_code)).all())
    # figures a feature derives (the relief ledger's rice) replace typed ones
    overlay(event, on_date, scope, communes, totals)
    return Summary(event=event, date=on_date, area=area_code, totals=totals,
                   communes=list(communes.values()))


@dataclass
class IncludedVersion:
    commune_code: str
    commune_name: str
    report_date: date
    version: int
    received_at: datetime  # UTC
    on_time: bool
    reporter: str
    channel: str


def versions_used(communes: list[CommuneFigures]) -> list[IncludedVersion]:
    """The report version behind each commune's figures in a summary (who sent it, how)."""
    used = {(c.report_id, c.version): c for c in communes if c.report_id is not None}
    if not used:
        return []
    rows = db.session.execute(
        select(ReportVersion.report_id, ReportVersion.version, ReportVersion.channel,
               ReportVersion.on_time, User.full_name, User.username)
        .outerjoin(User, User.id == ReportVersion.reporter_id)
        .where(ReportVersion.report_id.in_(sorted({rid for rid, _ in used}))))
    found = []
    for r in rows:
        commune = used.get((r.report_id, r.version))
        if commune is not None:
            found.append(IncludedVersion(
                commune.code, commune.name, commune.report_date, r.version, commune.received_at,
                r.on_time, r.full_name or r.username or "", r.channel))
    return sorted(found, key=lambda v: v.commune_code)


def latest_figures(commune_code: str) -> dict[str, float]:
    """The commune's figures in its latest report of any event (what an SMS would repeat)."""
    version_id = db.session.scalar(
        select(ReportVersion.id).join(Report, (Report.id == ReportVersion.report_id)
                                      & (ReportVersion.version == Report.latest_version))
        .where(Report.commune_code == commune_code)
        .order_by(Report.report_date.desc(), ReportVersion.received_at.desc()).limit(1))
    if version_id is None:
        return {}
    return dict(db.session.execute(select(ReportFigure.indicator_code, ReportFigure.value)
                                   .where(ReportFigure.version_id == version_id)).all())


# --- every day at once ----------------------------------------------------------------
#
# For each day D from the event's start, exactly what summarize(event, D, area) gives
# for D: per indicator the sum over communes of the figures of each commune's latest
# report dated on or before D (its latest version); `reported` = communes whose latest
# report is dated D; `expected` = communes in scope. Instead of one summary per day, one
# grouped query gives, per day, what starts and what stops counting: a report counts from
# its date until the same commune's next report (SQL `lead()`), so per indicator the
# day's total is yesterday's plus the figures of reports dated today minus those of the
# reports they replace. Only days × indicators rows leave the database. Whole-number
# indicators are identical to summarize's; a decimal one (ha, kg) is summed in another
# order and can differ in the last binary digits (far below 1e-9), never in what a
# person sees.

@dataclass
class DayTotals:
    date: date
    totals: dict[str, float]
    reported: int
    expected: int


def event_days(event: Event, last_day: date) -> list[date]:
    """Every day from the event's start to `last_day`, capped at the event's end date."""
    if event.end_date and last_day > event.end_date:
        last_day = event.end_date
    count = (last_day - event.start_date).days + 1
    return [event.start_date + timedelta(days=n) for n in range(max(count, 0))]


def daily_totals(event: Event, last_day: date, area_code: str | None = None,
                 indicators: list[str] | None = None) -> list[DayTotals]:
    """Totals per day (see above); `indicators` narrows what is summed."""
    days = event_days(event, last_day)
    scope = scope_select(event, area_code)
    expected = len(db.session.scalars(select(Commune.code).where(Commune.code.in_(scope))).all())
    if not days:
        return []
    in_event = and_(Report.event_id == event.id, Report.report_date <= days[-1],
                    Report.commune_code.in_(scope))
    reported = dict(db.session.execute(select(Report.report_date, func.count()).where(in_event)
                                       .group_by(Report.report_date)).all())
    # Each report counts from its date ("since") until the commune's next report ("until").
    spans = (select(Report.report_date.label("since"),
                    func.lead(Report.report_date, type_=Date).over(
                        partition_by=Report.commune_code, order_by=Report.report_date).label("until"),
                    ReportVersion.id.label("version_id"))
             .join(ReportVersion, and_(ReportVersion.report_id == Report.id,
                                       ReportVersion.version == Report.latest_version))
             .where(in_event).subquery())
    query = (select(spans.c.since, spans.c.until, ReportFigure.indicator_code,
                    func.sum(ReportFigure.value), func.count())
             .join(ReportFigure, ReportFigure.version_id == spans.c.version_id)
             .group_by(spans.c.since, spans.c.until, ReportFigure.indicator_code))
    if indicators is not None:
        query = query.where(ReportFigure.indicator_code.in_(list(indicators)))
    change: dict[date, list[tuple[str, float, int]]] = {}  # day → (indicator, Δsum, Δcount)
    for since, until, code, total, count in db.session.execute(query):
        change.setdefault(max(since, days[0]), []).append((code, total, count))
        if until is not None:
            change.setdefault(until, []).append((code, -total, -count))

    sums: dict[str, float] = {}
    counts: dict[str, int] = {}  # communes with a figure for the indicator: in totals if > 0
    result = []
    for day in days:
        for code, total, count in sorted(change.get(day, ()), key=lambda c: c[1] < 0):
            sums[code] = sums.get(code, 0) + total
            counts[code] = counts.get(code, 0) + count
        result.append(DayTotals(day, {c: v for c, v in sums.items() if counts[c]},
                                reported.get(day, 0), expected))
    _overlay_days(event, result, scope, indicators)
    return result


def _overlay_days(event: Event, days: list["DayTotals"], scope, indicators) -> None:
    """Derived figures (the relief ledger's rice) in place of typed ones, day by day, as
    `summarize` puts them (overlay): the total of the communes the provider knows."""
    codes = derived_codes(event)
    if indicators is not None:
        codes &= set(indicators)
    if not codes:
        return
    for day in days:
        figures = derived_figures(event, day.date, scope)
        for code in codes:
            values = [f[code] for f in figures.values() if code in f]
            if values:
                day.totals[code] = sum(values)
            else:
                day.totals.pop(code, None)


