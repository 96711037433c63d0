"""Events from the admin form: scope by commune checkboxes, a daily deadline."""
from collections import defaultdict

from sqlalchemy import select

from ..areas.lookup import fold
from ..areas.models import Commune, FormerCommune
from ..errors import Problems
from ..events import Event, create_event
from ..extensions import db


def event_from_form(form) -> Event:
    """The admin form's fields as create_event's data; scope comes from checkboxes."""
    problems = Problems()
    whole = form.get("scope") != "communes"
    communes = [] if whole else form.getlist("communes")
    if not whole and not communes:
        problems.add("communes", "communes_required")
    data = {name: form.get(name, "").strip() for name in
            ("code", "name", "type", "start_date", "end_date", "description", "deadline")}
    return create_event({**data, "communes": communes}, problems)


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
