"""What a province user looks at: an event, a date and an area, from query parameters.

Shared by the summary API, the map, the table and the exports, so a bad
parameter gives the same clear 400/404 everywhere.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from .areas.models import Area
from .errors import InputError, message
from .events import Event, get_event
from .extensions import db
from .timeutil import local_today


@dataclass
class Selection:
    event: Event
    date: date
    area: Area | None

    @property
    def area_code(self) -> str | None:
        return self.area.code if self.area else None

    @property
    def area_name(self) -> str:
        return self.area.name if self.area else "Toàn tỉnh"


def require_event(code: str) -> Event:
    event = get_event(code)
    if event is None:
        raise InputError(404, {"event": "not_found"}, {"event": message("event_not_found", code=code)})
    return event


def parse_date(value: str | None, default: date | None = None, event: Event | None = None,
               days_ahead: int = 0) -> date:
    """The one date parser of query strings: YYYY-MM-DD, not after today (+ days_ahead),
    not after the event's end. Absent (None) means `default` (else today); present but
    empty is an error.

    Refusing the future also bounds the work of a request (a long export or a board
    builds one table per day up to the date asked for).
    """
    if value is None:
        return default or local_today()
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(400, {"date": "invalid_date"},
                         {"date": message("bad_date", value=value)}) from None
    if day > local_today() + timedelta(days=days_ahead):
        raise InputError(400, {"date": "invalid_date"},
                         {"date": message("date_after_today", value=value)})
    if event is not None and event.end_date and day > event.end_date:
        raise InputError(400, {"date": "invalid_date"},
                         {"date": message("date_after_event", value=value,
                                          end=event.end_date.isoformat())})
    return day


def parse_area(code: str | None) -> Area | None:
    if not code or code in ("all", "province"):
        return None
    area = db.session.get(Area, code)
    if area is None:
        raise InputError(404, {"area": "not_found"}, {"area": message("area_not_found", code=code)})
    return area


def resolve(event_code: str, args, days_ahead: int = 0) -> Selection:
    """Event, date (default: today, capped to the event's end) and area from request args.

    `days_ahead`: how far past today the date may be (the compliance board shows
    tomorrow's period as pending); everything else stops at today."""
    event = require_event(event_code)
    default = local_today()
    if event.end_date and default > event.end_date:
        default = event.end_date
    day = parse_date(args.get("date"), default, event, days_ahead)
    return Selection(event, day, parse_area(args.get("area")))
