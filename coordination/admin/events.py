"""Events from the admin form: scope by commune checkboxes, a daily deadline."""
from collections import defaultdict
from datetime import datetime, time

from sqlalchemy import select

from ..areas.lookup import fold
from ..areas.models import Commune, FormerCommune
from ..errors import InputError
from ..events import DEFAULT_DEADLINE, Event, create_event
from ..extensions import db


def parse_deadline(text: str) -> time:
    """'14:00' → time(14, 0); empty means the default deadline."""
    text = (text or "").strip()
    if not text:
        return DEFAULT_DEADLINE
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise InputError(422, {"deadline": "invalid"},
                         {"deadline": "Giờ không hợp lệ (định dạng HH:MM, ví dụ 14:00)."}) from None


def event_from_form(form) -> Event:
    """Create an event from the submitted form, collecting every field error at once."""
    errors, messages = {}, {}
    communes = form.getlist("communes") if form.get("scope") == "communes" else []
    if form.get("scope") == "communes" and not communes:
        errors["communes"] = "required"
        messages["communes"] = "Chọn ít nhất một xã/phường, hoặc chọn phạm vi toàn tỉnh."
    try:
        deadline = parse_deadline(form.get("deadline", ""))
    except InputError as exc:
        errors.update(exc.errors)
        messages.update(exc.messages)
    data = {name: form.get(name, "").strip()
            for name in ("code", "name", "type", "start_date", "end_date", "description")}
    try:
        event = create_event({**data, "communes": communes})
    except InputError as exc:
        raise InputError(422, {**exc.errors, **errors}, {**exc.messages, **messages}) from None
    if errors:
        raise InputError(422, errors, messages)
    event.deadline = deadline
    return event


def communes_by_district() -> list[tuple[str, list[dict]]]:
    """Current communes grouped by the former district most of their parts came from.

    Officers still think in districts (huyện cũ), so the scope picker groups by them;
    `search` holds accent-free current and former names for the filter box.
    """
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    former: dict[str, list[str]] = defaultdict(list)
    rows = db.session.execute(select(FormerCommune.new_code, FormerCommune.old_district_name,
                                     FormerCommune.old_name))
    for new_code, district, old_name in rows:
        votes[new_code][district or "Khác"] += 1
        former[new_code].append(old_name)
    groups: dict[str, list[dict]] = defaultdict(list)
    for commune in db.session.scalars(select(Commune).order_by(Commune.name)):
        district = max(votes[commune.code].items(), key=lambda kv: kv[1])[0] \
            if votes[commune.code] else "Khác"
        groups[district].append({"code": commune.code, "name": commune.name,
                                 "search": fold(" ".join([commune.name, commune.code,
                                                          *former[commune.code]]))})
    return sorted(groups.items())
