"""Incidents (dam breach, isolated villages, landslides) and infrastructure on the map.

An incident's location is what the user entered (a point clicked on the map
or typed as lat/lon); without one it falls back to its commune's label point.
"""
import csv
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, Float, ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..areas.geometry import nearest_commune
from ..areas.loading import GEODATA
from ..areas.models import Commune
from .. import fields
from ..auth.access import own_commune, require_write
from ..errors import Problems
from ..numbers import blank
from ..events import Event
from ..extensions import db
from ..timeutil import utcnow

INCIDENT_KINDS = {"dam_breach": "Vỡ đập, sự cố hồ đập", "isolated": "Thôn, bản bị chia cắt",
                  "landslide": "Điểm sạt lở", "other": "Sự cố khác"}
FACILITY_KINDS = {"power_plant": "Nhà máy điện", "dam": "Đập", "reservoir": "Hồ chứa"}
FUELS = {"Hydro": "Thủy điện", "Coal": "Nhiệt điện than"}
POWER_PLANTS_CSV = GEODATA / "lang_son_power_plants_gppd.csv"
MAX_TEXT = 2000


class Incident(db.Model):
    __tablename__ = "map_incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    commune_code: Mapped[str] = mapped_column(ForeignKey("communes.code"))
    lat: Mapped[float | None] = mapped_column(Float)   # None: the commune's label point
    lon: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Facility(db.Model):
    """Infrastructure shown as a layer: power plants (GPPD) and dams/reservoirs from admins."""
    __tablename__ = "map_facilities"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    source_ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # e.g. GPPD id
    detail: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def parse_point(data, problems: Problems) -> tuple[float | None, float | None]:
    """lat/lon from a form or JSON: both or neither, within WGS 84 ranges. A dot or a comma
    is the decimal separator here (21.853 is a latitude, never thousands)."""
    if all(blank(data.get(k)) for k in ("lat", "lon")):
        return None, None
    lat = fields.number(data, "lat", problems, whole=False, grouped=False, signed=True,
                        maximum=90)
    lon = fields.number(data, "lon", problems, whole=False, grouped=False, signed=True,
                        maximum=180)
    return (lat, lon) if lat is not None and lon is not None else (None, None)


def _commune(data, user, lat, lon, problems: Problems) -> str | None:
    """Commune users report for their own commune; others pick one or click the map."""
    own = own_commune(user)
    if own:
        return own
    code = fields.text(data, "commune", problems, required=False, max_len=16)
    if code:
        if db.session.get(Commune, code) is None:
            problems.add("commune", "not_found", say="commune_not_found", code=code)
        return code
    if lat is not None:
        return nearest_commune(lon, lat)
    if "lat" not in problems and "lon" not in problems:
        problems.add("commune", "required", say="location_required")
    return None


def add_incident(event: Event, user, data, channel: str = "web") -> Incident:
    problems = Problems()
    kind = str(data.get("kind") or "")
    if kind not in INCIDENT_KINDS:
        problems.add("kind", "invalid")
    description = fields.text(data, "description", problems, max_len=MAX_TEXT)
    lat, lon = parse_point(data, problems)
    code = _commune(data, user, lat, lon, problems)
    problems.raise_if_any(422)
    require_write(user, code, channel)
    incident = Incident(event_id=event.id, kind=kind, description=description, commune_code=code,
                        lat=lat, lon=lon, created_by=user.id)
    db.session.add(incident)
    return incident


def add_facility(data) -> Facility:
    problems = Problems()
    kind = str(data.get("kind") or "")
    if kind not in ("dam", "reservoir"):
        problems.add("kind", "invalid")
    name = fields.text(data, "name", problems, max_len=200)
    detail = fields.text(data, "detail", problems, required=False, max_len=MAX_TEXT)
    lat, lon = parse_point(data, problems)
    if lat is None and "lat" not in problems and "lon" not in problems:
        problems.add("lat", "required")
    problems.raise_if_any(422)
    facility = Facility(kind=kind, name=name, detail=detail, lat=lat, lon=lon,
                        commune_code=nearest_commune(lon, lat))
    db.session.add(facility)
    return facility


def event_incidents(event: Event) -> list[dict]:
    """Incidents of the event with their location (entered, else the commune's label point)."""
    rows = db.session.execute(
        select(Incident, Commune.name, func.coalesce(Incident.lat, Commune.label_lat),
               func.coalesce(Incident.lon, Commune.label_lon))
        .join(Commune, Commune.code == Incident.commune_code)
        .where(Incident.event_id == event.id).order_by(Incident.created_at))
    return [{"incident": i, "commune_name": name, "lat": lat, "lon": lon,
             "approximate": i.lat is None} for i, name, lat, lon in rows]


def facilities() -> list[Facility]:
    return list(db.session.scalars(select(Facility).order_by(Facility.kind, Facility.name)))


def load_power_plants(path: Path = POWER_PLANTS_CSV) -> int:
    """Add the plants of a Global Power Plant Database extract not loaded yet; returns how many."""
    known = set(db.session.scalars(select(Facility.source_ref).where(Facility.source_ref.is_not(None))))
    communes = set(db.session.scalars(select(Commune.code)))
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["gppd_idnr"] not in known]
    db.session.add_all(Facility(
        kind="power_plant", name=r["name"], source_ref=r["gppd_idnr"],
        detail=f"{FUELS.get(r['primary_fuel'], r['primary_fuel'])}, {r['capacity_mw']} MW",
        lat=float(r["latitude"]), lon=float(r["longitude"]),
        commune_code=r["falls_in_ma_xa_2025"] if r["falls_in_ma_xa_2025"] in communes else None)
        for r in rows)
    return len(rows)
