"""Daily-report figures derived from the relief ledger (issue 12).

Once an event has a decision allocating rice (`gao`, in kg), the report's rice
indicators are no longer typed by communes: they are the ledger's cumulative
figures as of the report date — received = delivered, distributed = distributed,
people = people reached by distribution batches. `PROVIDER` is registered in the
derived-figures registry (coordination/derived.py) when the app is made: the one
aggregation overlays them, and `submit_report` refuses a typed value for them with
422 `from_ledger`. Events without such a decision keep their typed figures.

Reports never import this module; they ask the registry.
"""
from datetime import date

from sqlalchemy import func, select

from ..derived import Provider
from ..events import Event
from ..extensions import db
from .models import ReliefAllocation, ReliefAllocationLine, ReliefDelivery, ReliefDistribution

# item → (unit the indicators are in, {indicator code: ledger measure})
DERIVED = {"gao": ("kg", {"rice_received_kg": "delivered", "rice_distributed_kg": "distributed",
                          "people_receiving_rice": "people"})}
DERIVED_CODES = {code for _, indicators in DERIVED.values() for code in indicators}


def ledger_items_for(event: Event) -> set[str]:
    """Indicator codes the ledger provides for this event (empty: typed figures stand)."""
    codes: set[str] = set()
    if event is None or event.id is None:
        return codes
    for item, (unit, indicators) in DERIVED.items():
        has = db.session.scalar(select(ReliefAllocation.id).where(
            ReliefAllocation.event_id == event.id, ReliefAllocation.item == item,
            ReliefAllocation.unit == unit).limit(1))
        if has is not None:
            codes.update(indicators)
    return codes


def _measures(event: Event, item: str, on_date: date, commune_codes) -> dict[str, dict]:
    def narrowed(query, column):
        return query.where(column.in_(commune_codes)) if commune_codes is not None else query

    out: dict[str, dict] = {}
    allocated = db.session.scalars(narrowed(
        select(ReliefAllocationLine.commune_code).distinct()
        .join(ReliefAllocation, ReliefAllocation.id == ReliefAllocationLine.allocation_id)
        .where(ReliefAllocation.event_id == event.id, ReliefAllocation.item == item,
               ReliefAllocation.decision_date <= on_date), ReliefAllocationLine.commune_code))
    for code in allocated:
        out[code] = {"delivered": 0.0, "distributed": 0.0, "people": 0.0}
    delivered = db.session.execute(narrowed(
        select(ReliefDelivery.commune_code, func.sum(ReliefDelivery.quantity))
        .where(ReliefDelivery.event_id == event.id, ReliefDelivery.item == item,
               ReliefDelivery.delivered_on <= on_date)
        .group_by(ReliefDelivery.commune_code), ReliefDelivery.commune_code))
    for code, quantity in delivered:
        out.setdefault(code, {"delivered": 0.0, "distributed": 0.0, "people": 0.0})
        out[code]["delivered"] = float(quantity)
    given = db.session.execute(narrowed(
        select(ReliefDistribution.commune_code, func.sum(ReliefDistribution.quantity),
               func.sum(ReliefDistribution.people))
        .where(ReliefDistribution.event_id == event.id, ReliefDistribution.item == item,
               ReliefDistribution.distributed_on <= on_date)
        .group_by(ReliefDistribution.commune_code), ReliefDistribution.commune_code))
    for code, quantity, people in given:
        out.setdefault(code, {"delivered": 0.0, "distributed": 0.0, "people": 0.0})
        out[code]["distributed"], out[code]["people"] = float(quantity), float(people)
    return out


def ledger_figures(event: Event, on_date: date, commune_codes=None) -> dict[str, dict[str, float]]:
    """{commune: {indicator code: cumulative value as of on_date}} for communes in the ledger.

    `commune_codes` (a list or a SELECT of codes) narrows it; None means all.
    """
    figures: dict[str, dict[str, float]] = {}
    for item, (unit, indicators) in DERIVED.items():
        if not db.session.scalar(select(ReliefAllocation.id).where(
                ReliefAllocation.event_id == event.id, ReliefAllocation.item == item,
                ReliefAllocation.unit == unit).limit(1)):
            continue
        for code, measures in _measures(event, item, on_date, commune_codes).items():
            figures.setdefault(code, {}).update(
                {ind: measures[measure] for ind, measure in indicators.items()})
    return figures


def allocated_total(event: Event, item: str, on_date: date, area_code: str | None = None) -> float:
    """What the decisions dated on or before `on_date` allocated of `item`, in the event's
    scope (narrowed to an area): the "of allocated" of the dashboard's rice card."""
    from ..areas.models import AreaCommune  # areas sit below relief; imported here to stay light
    query = (select(func.coalesce(func.sum(ReliefAllocationLine.quantity), 0))
             .join(ReliefAllocation, ReliefAllocation.id == ReliefAllocationLine.allocation_id)
             .where(ReliefAllocation.event_id == event.id, ReliefAllocation.item == item,
                    ReliefAllocation.decision_date <= on_date))
    if area_code:
        query = query.where(ReliefAllocationLine.commune_code.in_(
            select(AreaCommune.commune_code).where(AreaCommune.area_code == area_code)))
    return float(db.session.scalar(query) or 0)


PROVIDER = Provider("relief", frozenset(DERIVED_CODES), ledger_items_for, ledger_figures)
