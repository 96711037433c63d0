"""One operation per relief action: allocate, deliver, confirm receipt, distribute.

Each validates, changes the session and flushes; none commits (entry points wrap
them in `write_transaction()` / `retry_on_conflict()`). Field errors are collected
with `Problems` so a form shows them all; the API answers the same codes. Fields are
read by the shared readers (fields.py) and numbers by the one parser (numbers.py): a
quantity in kg may have decimals, so `5.000` kg is refused as ambiguous.

Access (the one rule of auth/access.py): allocations and deliveries are the province's
(`require_staff`, 403 `forbidden`); a commune confirms and distributes only for itself
and province staff enter for any commune on its behalf (`require_write` with the
entry point's channel, 403 `forbidden` on `commune`).

Stock: a distribution may not take more than the commune holds (delivered − given)
unless a reason says why. Concurrent distributions of one commune and item claim the
same stock row first (database.claim), so they are checked one after another on
SQLite and PostgreSQL alike and never give out more than was delivered together.
"""
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from .. import fields
from ..areas.models import Commune
from ..auth.access import require_staff, require_write
from ..auth.models import User
from ..database import claim
from ..errors import InputError, Problems
from ..events import Event, in_scope
from ..extensions import db
from ..formatting import vn_number
from ..idempotency import body_digest, check_replay
from ..numbers import NumberError, parse_number
from ..timeutil import local_today, utcnow
from .models import (ReliefAllocation, ReliefAllocationLine, ReliefDelivery, ReliefDistribution,
                     ReliefStock)

# item code → (Vietnamese name, usual unit). Extensible: RELIEF_ITEMS is not needed for new
# items of the same shape, add them here.
ITEMS = {"gao": ("Gạo", "kg"), "mi_tom": ("Mì tôm", "thùng"), "nuoc_uong": ("Nước uống", "thùng"),
         "ao_phao": ("Áo phao", "cái"), "chan_man": ("Chăn, màn", "cái"),
         "thuoc": ("Thuốc, hóa chất khử trùng", "kg")}
UNITS = ("kg", "thùng", "cái", "chai", "bộ", "gói")
DECIMAL_UNITS = {"kg"}  # the others count pieces
MAX_QUANTITY = 1e10
MAX_PEOPLE = 10_000_000
MAX_TEXT = 2000
EPS = 1e-6
VILLAGE_MAX = 120


def item_label(item: str) -> str:
    return ITEMS.get(item, (item, ""))[0]


def _item(data: dict, problems: Problems) -> str:
    item = fields.text(data, "item", problems, max_len=40)
    if item and item not in ITEMS:
        problems.add("item", "unknown_item", items=", ".join(ITEMS))
    return item


def _commune(event: Event, data: dict, problems: Problems, field: str = "commune",
             name: str = "commune") -> str:
    code = fields.text(data, name, problems, max_len=16, field=field)
    if code and field not in problems:
        if db.session.get(Commune, code) is None:
            problems.add(field, "commune_not_found", code=code)
        elif not in_scope(event, code):
            problems.add(field, "commune_outside_event")
    return code


def _not_future(day: date | None, name: str, problems: Problems) -> None:
    if day is not None and day > local_today():
        problems.add(name, "future_date")


def unit_of(event: Event, item: str) -> str:
    """The unit the event's decisions use for an item, else the item's usual one."""
    return allocated_unit(event, item) or ITEMS.get(item, ("", "kg"))[1]


def _quantity(data: dict, problems: Problems, unit: str, field: str = "quantity"):
    return fields.number(data, "quantity", problems, whole=unit not in DECIMAL_UNITS,
                         positive=True, maximum=MAX_QUANTITY, field=field)


def allocated_unit(event: Event, item: str) -> str | None:
    return db.session.scalar(select(ReliefAllocation.unit).where(
        ReliefAllocation.event_id == event.id, ReliefAllocation.item == item).limit(1))


# --- allocation ----------------------------------------------------------------------

def create_allocation(user: User, event: Event, data: dict) -> ReliefAllocation:
    """A decision with one line per commune. A change is a new decision, never an edit:
    a commune's allocation is the sum of its lines over all decisions of the item."""
    require_staff(user)
    problems = Problems()
    decision_no = fields.text(data, "decision_no", problems)
    decision_date = fields.day(data, "decision_date", problems)
    _not_future(decision_date, "decision_date", problems)
    item = _item(data, problems)
    unit = fields.text(data, "unit", problems, max_len=20)
    if unit and "unit" not in problems and unit not in UNITS:
        problems.add("unit", "unknown_unit", units=", ".join(UNITS))
    elif item in ITEMS and unit and "unit" not in problems:
        existing = allocated_unit(event, item)
        if existing and existing != unit:
            problems.add("unit", "unit_mismatch", unit=existing)
    deadline = fields.day(data, "deadline", problems, required=False)
    if deadline and decision_date and deadline < decision_date:
        problems.add("deadline", "before_decision")
    raw_lines = data.get("lines")
    lines: dict[str, float] = {}
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.add("lines", "required" if not raw_lines else "invalid")
    else:
        for n, raw in enumerate(raw_lines):
            if not isinstance(raw, dict):
                problems.add(f"lines.{n}", "invalid")
                continue
            code = _commune(event, raw, problems, field=f"lines.{n}.commune")
            quantity = _quantity(raw, problems, unit, field=f"lines.{n}.quantity")
            if code in lines:
                problems.add(f"lines.{n}.commune", "duplicate_commune", code=code)
            elif code and quantity is not None:
                lines[code] = quantity
    problems.raise_if_any(422)
    allocation = ReliefAllocation(
        event_id=event.id, decision_no=decision_no, decision_date=decision_date, item=item,
        unit=unit, deadline=deadline, created_by=user.id,
        lines=[ReliefAllocationLine(commune_code=c, quantity=q) for c, q in lines.items()])
    db.session.add(allocation)
    db.session.flush()
    return allocation


# --- delivery ------------------------------------------------------------------------

def _sum(column, *where) -> float:
    return float(db.session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)))


def allocated_to(event: Event, commune: str, item: str) -> float:
    return _sum(ReliefAllocationLine.quantity,
                ReliefAllocationLine.allocation_id == ReliefAllocation.id,
                ReliefAllocation.event_id == event.id, ReliefAllocation.item == item,
                ReliefAllocationLine.commune_code == commune)


def record_delivery(user: User, event: Event, data: dict) -> ReliefDelivery:
    """A hand-over to a commune (province/admin). `shortfall_reason` says the commune will
    get less than allocated on purpose; it closes the commune's allocation (no late flag)."""
    require_staff(user)
    problems = Problems()
    commune = _commune(event, data, problems)
    item = _item(data, problems)
    quantity = _quantity(data, problems, unit_of(event, item))
    day = fields.day(data, "date", problems)
    _not_future(day, "date", problems)
    document_no = fields.text(data, "document_no", problems)
    reason = fields.text(data, "shortfall_reason", problems, required=False, max_len=MAX_TEXT)
    problems.raise_if_any(422)
    delivery = ReliefDelivery(event_id=event.id, commune_code=commune, item=item,
                              quantity=quantity, delivered_on=day, document_no=document_no,
                              shortfall_reason=reason, created_by=user.id)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def confirm_delivery(user: User, event: Event, delivery_id: int,
                     channel: str = "web") -> ReliefDelivery:
    """The commune confirms it received a hand-over (its own officers, or province staff on
    its behalf). Confirming twice keeps the first confirmation."""
    delivery = db.session.get(ReliefDelivery, delivery_id)
    if delivery is None or delivery.event_id != event.id:
        raise InputError(404, {"delivery": "not_found"})
    require_write(user, delivery.commune_code, channel)
    if delivery.confirmed_at is None:
        delivery.confirmed_at = utcnow()
        delivery.confirmed_by = user.id
        db.session.flush()
    return delivery


# --- distribution --------------------------------------------------------------------

DISTRIBUTION_FIELDS = ("commune", "item", "date", "village", "households", "people", "quantity",
                       "reason")


def _as_meant(value, whole: bool):
    """A number field as the client meant it ('15' == 15, '1.200' people == 1200), else as sent."""
    try:
        return parse_number(value, whole=whole)
    except NumberError:
        return value.strip() if isinstance(value, str) else value


def distribution_hash(event: Event, data: dict) -> str:
    """The body as the client meant it: numbers as numbers, text stripped."""
    whole = {"households": True, "people": True,
             "quantity": unit_of(event, str(data.get("item") or "")) not in DECIMAL_UNITS}
    body = {"event": event.code}
    for name in DISTRIBUTION_FIELDS:
        value = data.get(name)
        value = _as_meant(value, whole[name]) if name in whole else (
            value.strip() if isinstance(value, str) else value)
        body[name] = value if value != "" else None
    return body_digest(body)


def _ledger_dates(event: Event, commune: str, item: str, model, date_column) -> list:
    return db.session.execute(select(date_column, model.quantity).where(
        model.event_id == event.id, model.commune_code == commune, model.item == item)).all()


def stock_before(event: Event, commune: str, item: str, day: date, quantity: float) -> float | None:
    """None when the batch fits; else what was left at the commune for it.

    The batch must fit on its own date and at every later distribution date, so a
    batch typed in late cannot empty the stock of batches already recorded after it.
    """
    delivered = _ledger_dates(event, commune, item, ReliefDelivery, ReliefDelivery.delivered_on)
    given = _ledger_dates(event, commune, item, ReliefDistribution, ReliefDistribution.distributed_on)
    checks = {day} | {d for d, _ in given if d >= day}
    room = None
    for check in sorted(checks):
        stock = (sum(q for d, q in delivered if d <= check)
                 - sum(q for d, q in given if d <= check))
        room = stock if room is None else min(room, stock)
    return None if quantity <= room + EPS else max(room, 0.0)


def record_distribution(user: User, event: Event, data: dict,
                        channel: str = "web") -> tuple[ReliefDistribution, bool]:
    """A batch handed out in a village; (row, replayed).

    Idempotent like reports: the same submission_id with the same body answers the
    stored row (replayed=True); with another body 409 `conflict` on submission_id.
    Above what the commune holds (delivered − distributed) is refused 422
    `exceeds_delivered` unless `reason` says why (the pipeline then flags it). The
    stock is read after claiming the commune's stock row, so concurrent batches are
    checked one after another.
    """
    problems = Problems()
    commune = fields.text(data, "commune", problems, max_len=16)
    submission_id = fields.text(data, "submission_id", problems)
    if commune and "commune" not in problems:
        require_write(user, commune, channel)
    if submission_id and "submission_id" not in problems:
        stored = db.session.scalar(select(ReliefDistribution).where(
            ReliefDistribution.submission_id == submission_id))
        if stored is not None:
            check_replay(stored.body_hash, distribution_hash(event, data),
                         stored.event_id == event.id)
            return stored, True
    if commune and "commune" not in problems:
        _commune(event, data, problems)
    item = _item(data, problems)
    day = fields.day(data, "date", problems)
    _not_future(day, "date", problems)
    if day and day < event.start_date:
        problems.add("date", "outside_event")
    village = fields.text(data, "village", problems, max_len=VILLAGE_MAX)
    households = fields.number(data, "households", problems, whole=True, maximum=MAX_PEOPLE)
    people = fields.number(data, "people", problems, whole=True, positive=True,
                           maximum=MAX_PEOPLE)
    unit = unit_of(event, item) if item in ITEMS else "kg"
    quantity = _quantity(data, problems, unit)
    reason = fields.text(data, "reason", problems, required=False, max_len=MAX_TEXT)
    if households is not None and people is not None and households > people:
        problems.add("households", "more_households_than_people")
    problems.raise_if_any(422)
    claim(ReliefStock.__table__, {"event_id": event.id, "commune_code": commune, "item": item},
          {}, counter="claims")
    if not reason:
        left = stock_before(event, commune, item, day, quantity)
        if left is not None:
            problems.add("quantity", "exceeds_delivered", available=vn_number(left), unit=unit)
            problems.add("reason", "required")
            problems.raise_if_any(422)
    row = ReliefDistribution(
        event_id=event.id, commune_code=commune, item=item, distributed_on=day, village=village,
        households=households, people=people, quantity=quantity, reason=reason,
        submission_id=submission_id, body_hash=distribution_hash(event, data), created_by=user.id)
    db.session.add(row)
    db.session.flush()
    return row, False


def norms() -> dict[str, float]:
    """RELIEF_NORMS: 'gao=15,mi_tom=0.5' (unit per person) → {'gao': 15.0, …}."""
    raw = current_app.config.get("RELIEF_NORMS", "gao=15")
    if isinstance(raw, dict):
        return {k: float(v) for k, v in raw.items()}
    out = {}
    for part in str(raw).split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            try:
                out[key.strip()] = parse_number(value, whole=False, grouped=False)
            except NumberError:
                continue  # a typo in the setting leaves that item without a norm
    return out
