"""The relief pipeline of an event and item as of a date, per commune and in total:
allocated → delivered → distributed → remaining at the commune, people and
households reached, quantity per person, days since the last delivery, and flags.

Rules (as of date D; only ledger rows dated on or before D count):
- allocated: sum of the commune's lines over every decision of the item dated ≤ D;
- delivered / distributed: sums of deliveries / distribution batches dated ≤ D;
- remaining: delivered − distributed (stock held at the commune);
- flags: `over_delivered` delivered > allocated; `over_distributed` distributed >
  delivered (accepted only with a reason); `ration_out_of_norm` distributed / people
  outside ±RELIEF_NORM_TOLERANCE (20 %) of RELIEF_NORMS for the item (15 kg rice);
  `idle_stock` stock held and nothing distributed for RELIEF_IDLE_DAYS (3) days since
  the last distribution (or the first delivery when nothing was distributed yet);
  `late_delivery` a decision's deadline is before D and what was delivered by that
  deadline is short of what decisions with deadlines up to it allocated, unless a
  delivery (by then) gives a shortfall_reason (the province closed it short on purpose).
"""
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from ..areas.models import Commune
from ..events import Event
from ..extensions import db
from .models import ReliefAllocation, ReliefAllocationLine, ReliefDelivery, ReliefDistribution
from .operations import EPS, ITEMS, norms

FLAGS = {
    "over_delivered": "Giao vượt phân bổ",
    "over_distributed": "Phát vượt số đã nhận",
    "ration_out_of_norm": "Định mức/người ngoài ±20%",
    "idle_stock": "Hàng tồn chưa phát",
    "late_delivery": "Giao chậm so với hạn",
}


@dataclass
class CommuneLine:
    code: str
    name: str
    allocated: float = 0.0
    delivered: float = 0.0
    distributed: float = 0.0
    people: int = 0
    households: int = 0
    last_delivery: date | None = None
    first_delivery: date | None = None
    last_distribution: date | None = None
    days_since_delivery: int | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def remaining(self) -> float:
        return self.delivered - self.distributed

    @property
    def kg_per_person(self) -> float | None:
        return round(self.distributed / self.people, 2) if self.people else None

    @property
    def share_distributed(self) -> float | None:
        """Distributed / allocated (0..1+), the map's colour."""
        return self.distributed / self.allocated if self.allocated else None

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "allocated": self.allocated,
                "delivered": self.delivered, "distributed": self.distributed,
                "remaining": self.remaining, "people": self.people,
                "households": self.households, "kg_per_person": self.kg_per_person,
                "days_since_delivery": self.days_since_delivery,
                "last_delivery": self.last_delivery.isoformat() if self.last_delivery else None,
                "flags": list(self.flags)}


@dataclass
class Pipeline:
    event: Event
    item: str
    unit: str
    date: date
    communes: list[CommuneLine]
    norm: float | None = None

    @property
    def item_label(self) -> str:
        return ITEMS.get(self.item, (self.item,))[0]

    @property
    def totals(self) -> dict:
        total = {name: sum(getattr(c, name) for c in self.communes)
                 for name in ("allocated", "delivered", "distributed", "people", "households")}
        total["remaining"] = total["delivered"] - total["distributed"]
        return total

    @property
    def flag_counts(self) -> dict[str, int]:
        return {flag: sum(1 for c in self.communes if flag in c.flags) for flag in FLAGS}

    def as_dict(self) -> dict:
        totals = self.totals
        return {"event": self.event.code, "item": self.item, "unit": self.unit,
                "date": self.date.isoformat(), "norm": self.norm,
                "totals": {k: totals[k] for k in ("allocated", "delivered", "distributed",
                                                  "remaining", "people", "households")},
                "communes": [c.as_dict() for c in self.communes]}


def unit_of(event: Event, item: str) -> str:
    unit = db.session.scalar(select(ReliefAllocation.unit).where(
        ReliefAllocation.event_id == event.id, ReliefAllocation.item == item).limit(1))
    return unit or ITEMS.get(item, (item, "kg"))[1]


def items_of(event: Event) -> list[str]:
    """Items with a decision in the event, in the catalogue order."""
    found = set(db.session.scalars(select(ReliefAllocation.item).where(
        ReliefAllocation.event_id == event.id).distinct()))
    return [i for i in ITEMS if i in found] + sorted(found - set(ITEMS))


def compute(event: Event, item: str, on_date: date, commune_codes=None) -> Pipeline:
    """The pipeline as of `on_date`; `commune_codes` narrows it (a list or a SELECT)."""
    lines: dict[str, CommuneLine] = {}

    def line(code: str) -> CommuneLine:
        if code not in lines:
            lines[code] = CommuneLine(code=code, name="")
        return lines[code]

    def narrowed(query, column):
        return query.where(column.in_(commune_codes)) if commune_codes is not None else query

    decisions = db.session.execute(narrowed(
        select(ReliefAllocationLine.commune_code, ReliefAllocationLine.quantity,
               ReliefAllocation.deadline)
        .join(ReliefAllocation, ReliefAllocation.id == ReliefAllocationLine.allocation_id)
        .where(ReliefAllocation.event_id == event.id, ReliefAllocation.item == item,
               ReliefAllocation.decision_date <= on_date),
        ReliefAllocationLine.commune_code)).all()
    deadlines: dict[str, list[tuple[date, float]]] = {}
    for code, quantity, deadline in decisions:
        line(code).allocated += quantity
        if deadline is not None:
            deadlines.setdefault(code, []).append((deadline, quantity))
    deliveries = db.session.execute(narrowed(
        select(ReliefDelivery.commune_code, ReliefDelivery.delivered_on, ReliefDelivery.quantity,
               ReliefDelivery.shortfall_reason)
        .where(ReliefDelivery.event_id == event.id, ReliefDelivery.item == item,
               ReliefDelivery.delivered_on <= on_date), ReliefDelivery.commune_code)).all()
    by_commune: dict[str, list] = {}
    for code, day, quantity, reason in deliveries:
        c = line(code)
        c.delivered += quantity
        c.last_delivery = max(c.last_delivery or day, day)
        c.first_delivery = min(c.first_delivery or day, day)
        by_commune.setdefault(code, []).append((day, quantity, bool((reason or "").strip())))
    given = db.session.execute(narrowed(
        select(ReliefDistribution.commune_code, func.sum(ReliefDistribution.quantity),
               func.sum(ReliefDistribution.people), func.sum(ReliefDistribution.households),
               func.max(ReliefDistribution.distributed_on))
        .where(ReliefDistribution.event_id == event.id, ReliefDistribution.item == item,
               ReliefDistribution.distributed_on <= on_date)
        .group_by(ReliefDistribution.commune_code), ReliefDistribution.commune_code)).all()
    for code, quantity, people, households, last in given:
        c = line(code)
        c.distributed, c.people, c.households = float(quantity), int(people), int(households)
        c.last_distribution = last
    names = dict(db.session.execute(select(Commune.code, Commune.name)
                                    .where(Commune.code.in_(list(lines)))).all())
    unit = unit_of(event, item)
    norm = norms().get(item)
    for c in lines.values():
        c.name = names.get(c.code, c.code)
        if c.last_delivery:
            c.days_since_delivery = (on_date - c.last_delivery).days
        c.flags = _flags(c, on_date, norm, deadlines.get(c.code, []), by_commune.get(c.code, []))
    return Pipeline(event=event, item=item, unit=unit, date=on_date, norm=norm,
                    communes=sorted(lines.values(), key=lambda c: c.code))


def _flags(c: CommuneLine, on_date: date, norm: float | None, deadlines, deliveries) -> list[str]:
    config = current_app.config
    tolerance = float(config.get("RELIEF_NORM_TOLERANCE", 0.2))
    idle_days = int(config.get("RELIEF_IDLE_DAYS", 3))
    flags = []
    if c.delivered > c.allocated + EPS:
        flags.append("over_delivered")
    if c.distributed > c.delivered + EPS:
        flags.append("over_distributed")
    if norm and c.kg_per_person is not None and abs(c.distributed / c.people - norm) > tolerance * norm + EPS:
        flags.append("ration_out_of_norm")
    if c.remaining > EPS:
        since = c.last_distribution or c.first_delivery
        if since and (on_date - since).days >= idle_days:
            flags.append("idle_stock")
    for deadline in sorted({d for d, _ in deadlines}):
        if deadline >= on_date:
            break
        due = sum(q for d, q in deadlines if d <= deadline)
        by_then = [(q, short) for day, q, short in deliveries if day <= deadline]
        if sum(q for q, _ in by_then) + EPS < due and not any(short for _, short in by_then):
            flags.append("late_delivery")
            break
    return flags
