"""Day-by-day totals of an event: the one aggregation's rule, swept over every day at once.

`daily_totals(event, last_day, area)` gives, for each day D from the event's
start to `last_day`, exactly what `reports.aggregation.summarize(event, D,
area)` gives for D: per indicator the sum over communes of the figures of
each commune's latest report dated on or before D (its latest version);
`reported` = communes whose latest report is dated D; `expected` = communes
in scope. Instead of one summary per day (five queries each), one grouped
query gives, per day, what starts and what stops counting: a report counts
from its date until the same commune's next report (SQL `lead()`), so per
indicator the day's total is yesterday's plus the figures of reports dated
today minus those of the reports they replace. Only days × indicators rows
leave the database. `tests/test_dashboard.py` checks the result against
`summarize` for every day, so the two cannot drift apart.

Whole-number indicators (people, houses, points) are sums of whole numbers
and therefore identical to `summarize`'s. A decimal indicator (hectares, kg)
is summed in another order and can differ in the last binary digits (far
below 1e-9), never in what a person sees.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, and_, func, select

from ..areas.models import Commune
from ..errors import CATALOGUE, InputError
from ..events import Event
from ..extensions import db
from ..indicators import Indicator
from ..reports.aggregation import scope_select
from ..reports.models import Report, ReportFigure, ReportVersion


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
    """Totals per day (see the module docstring); `indicators` narrows what is summed."""
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
    return result


def require_indicator(code: str | None) -> Indicator:
    """The indicator named in a request: 400 if absent, 404 `indicator_not_found` if unknown."""
    if not code:
        raise InputError.one(400, "indicator", "required")
    indicator = db.session.get(Indicator, code)
    if indicator is None:
        raise InputError(404, {"indicator": "indicator_not_found"},
                         {"indicator": CATALOGUE["indicator_not_found"].format(code=code)})
    return indicator


def trend(event: Event, indicator: Indicator, last_day: date, area_code: str | None = None) -> dict:
    """The trend API's body: one entry per day, `total` as summarize's total for that day."""
    series = daily_totals(event, last_day, area_code, [indicator.code])
    return {"indicator": indicator.code, "unit": indicator.unit, "area": area_code,
            "days": [{"date": d.date.isoformat(), "total": d.totals.get(indicator.code, 0),
                      "reported": d.reported, "expected": d.expected} for d in series]}
