"""Reports with every version, for the history views and the API."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..areas.models import Commune
from ..events import Event
from ..extensions import db
from .models import Report, ReportVersion


def reports_query(event: Event, day: date | None = None, commune_code: str | None = None):
    query = (select(Report).where(Report.event_id == event.id)
             .options(selectinload(Report.versions).selectinload(ReportVersion.figures),
                      selectinload(Report.versions).selectinload(ReportVersion.reporter))
             .order_by(Report.report_date.desc(), Report.commune_code))
    if day:
        query = query.where(Report.report_date == day)
    if commune_code:
        query = query.where(Report.commune_code == commune_code)
    return query


def report_history(event: Event, day: date | None = None,
                   commune_code: str | None = None) -> list[dict]:
    names = dict(db.session.execute(select(Commune.code, Commune.name)).all())
    return [{"id": r.id, "event": event.code, "commune": r.commune_code,
             "commune_name": names.get(r.commune_code), "date": r.report_date.isoformat(),
             "on_time": r.on_time, "latest_version": r.latest_version,
             "versions": [v.as_dict() for v in r.versions]}
            for r in db.session.scalars(reports_query(event, day, commune_code))]
