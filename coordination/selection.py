"""What a province user looks at: an event, a date and an area, from query parameters.

Shared by the summary API, the map, the table and the exports, so a bad
parameter gives the same clear 400/404 everywhere.
"""
from dataclasses import dataclass
from datetime import date

from .areas.models import Area
from .errors import InputError
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
        raise InputError(404, {"event": "not_found"}, {"event": f"Không tìm thấy sự kiện '{code}'."})
    return event


def parse_date(value: str | None, default: date | None = None) -> date:
    if not value:
        return default or local_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(400, {"date": "invalid_date"},
                         {"date": f"Ngày '{value}' không hợp lệ (YYYY-MM-DD)."}) from None


def parse_area(code: str | None) -> Area | None:
    if not code or code in ("all", "province"):
        return None
    area = db.session.get(Area, code)
    if area is None:
        raise InputError(404, {"area": "not_found"}, {"area": f"Không tìm thấy vùng '{code}'."})
    return area


def resolve(event_code: str, args) -> Selection:
    """Event, date (default: today, capped to the event's end) and area from request args."""
    event = require_event(event_code)
    default = local_today()
    if event.end_date and default > event.end_date:
        default = event.end_date
    return Selection(event, parse_date(args.get("date"), default), parse_area(args.get("area")))
