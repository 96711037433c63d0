"""The one aggregation every page, API, map and export uses.

The figure of a commune on date D is its latest report dated on or before D
(latest version). Communes whose latest report is older than D are stale.
Area and province totals are sums over communes. All of it runs in SQL.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select

from ..areas.models import AreaCommune, Commune
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
    # relief (issue 12): ledger-derived figures (rice) replace typed ones once allocated
    from ..relief.ledger import overlay_ledger
    overlay_ledger(event, on_date, scope, communes, totals)
    return Summary(event=event, date=on_date, area=area_code, totals=totals,
                   communes=list(communes.values()))
