"""The trend API: one indicator's total per day, from the one aggregation's daily sweep
(`reports.aggregation.daily_totals`, checked equal to `summarize` for every day)."""
from datetime import date

from ..errors import InputError
from ..events import Event
from ..extensions import db
from ..indicators import Indicator
from ..reports.aggregation import daily_totals


def require_indicator(code: str | None) -> Indicator:
    """The indicator named in a request: 400 if absent, 404 `indicator_not_found` if unknown."""
    if not code:
        raise InputError.one(400, "indicator", "required")
    indicator = db.session.get(Indicator, code)
    if indicator is None:
        raise InputError.one(404, "indicator", "indicator_not_found", code=code)
    return indicator


def trend(event: Event, indicator: Indicator, last_day: date, area_code: str | None = None) -> dict:
    """The trend API's body: one entry per day, `total` as summarize's total for that day."""
    series = daily_totals(event, last_day, area_code, [indicator.code])
    return {"indicator": indicator.code, "unit": indicator.unit, "area": area_code,
            "days": [{"date": d.date.isoformat(), "total": d.totals.get(indicator.code, 0),
                      "reported": d.reported, "expected": d.expected} for d in series]}
