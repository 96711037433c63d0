"""One operation per relief action: allocate, deliver, confirm receipt, distribute.

Each validates, changes the session and flushes; none commits (entry points wrap
them in `write_transaction()` / `retry_on_conflict()`). Field errors are collected
with `Problems` so a form shows them all; the API answers the same codes.

Access (the one rule of auth/access.py): allocations and deliveries are entered
by province/admin staff; a commune confirms only its own deliveries and writes only
its own distributions (`require_writer`, 403 `own_commune_only`); province/admin
staff may enter a distribution for any commune.
"""
import hashlib
import json
import math
import re
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from ..areas.models import Commune
from ..auth.access import require_writer
from ..auth.models import User
from ..errors import CATALOGUE, InputError, Problems
from ..events import Event, in_scope
from ..extensions import db
from ..formatting import vn_number
from ..timeutil import local_today, utcnow
from .models import ReliefAllocation, ReliefAllocationLine, ReliefDelivery, ReliefDistribution

# item code → (Vietnamese name, usual unit). Extensible: RELIEF_ITEMS is not needed for new
# items of the same shape, add them here.
ITEMS = {"gao": ("Gạo", "kg"), "mi_tom": ("Mì tôm", "thùng"), "nuoc_uong": ("Nước uống", "thùng"),
         "ao_phao": ("Áo phao", "cái"), "chan_man": ("Chăn, màn", "cái"),
         "thuoc": ("Thuốc, hóa chất khử trùng", "kg")}
UNITS = ("kg", "thùng", "cái", "chai", "bộ", "gói")
MAX_QUANTITY = 1e10
MAX_PEOPLE = 10_000_000
MAX_TEXT = 2000
EPS = 1e-6
VILLAGE_MAX = 120
THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")   # 1.234 or 1.234,5
DECIMAL_COMMA = re.compile(r"^\d+,\d+$")                # 12,5


def item_label(item: str) -> str:
    return ITEMS.get(item, (item, ""))[0]


def _require_provincial(user: User) -> None:
    if not user.is_provincial:
        raise InputError(403, {"request": "forbidden"})


def _require_distribution_writer(user: User, commune: str) -> None:
    """A commune officer writes only for their commune; province/admin for any."""
    if not user.is_provincial:
        require_writer(user, commune)


def _add(problems: Problems, field: str, error: str, **params) -> None:
    """Problems.add for messages whose placeholder is named `code`."""
    if field not in problems:
        problems.add(field, error)
        problems.messages[field] = CATALOGUE[error].format(**params)


# --- reading input -------------------------------------------------------------------

def to_number(value):
    """JSON number, or text as typed in Vietnam ('1.200', '12,5', '12.5') → float; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace(" ", "")
    if THOUSANDS.match(text):
        text = text.replace(".", "").replace(",", ".")
    elif DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _text(data: dict, name: str, problems: Problems, *, required: bool = True,
          max_len: int = 80, field: str | None = None) -> str:
    field = field or name
    value = data.get(name)
    if value is None or value == "":
        if required:
            problems.add(field, "required")
        return ""
    if not isinstance(value, str):
        problems.add(field, "invalid")
        return ""
    value = value.strip()
    if "\x00" in value:
        problems.add(field, "invalid_characters")
    elif required and not value:
        problems.add(field, "required")
    elif len(value) > max_len:
        problems.add(field, "too_long")
    return value


def _day(data: dict, name: str, problems: Problems, *, required: bool = True) -> date | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            problems.add(name, "required")
        return None
    try:
        return date.fromisoformat(str(value)) if isinstance(value, str) else None
    except ValueError:
        pass
    problems.add(name, "invalid_date")
    return None


def _number(data: dict, name: str, problems: Problems, *, whole: bool = False,
            positive: bool = False, field: str | None = None, maximum: float = MAX_QUANTITY):
    field = field or name
    value = data.get(name)
    if value is None or value == "":
        problems.add(field, "required")
        return None
    number = to_number(value)
    if number is None or not math.isfinite(number):
        problems.add(field, "not_a_number")
    elif number < 0:
        problems.add(field, "negative")
    elif positive and number == 0:
        problems.add(field, "not_positive")
    elif number > maximum:
        problems.add(field, "too_large")
    elif whole and number != int(number):
        problems.add(field, "not_whole_number")
    else:
        return int(number) if whole else number
    return None


def _item(data: dict, problems: Problems) -> str:
    item = _text(data, "item", problems, max_len=40)
    if item and item not in ITEMS:
        problems.add("item", "unknown_item", items=", ".join(ITEMS))
    return item


def _commune(event: Event, data: dict, problems: Problems, field: str = "commune",
             name: str = "commune") -> str:
    code = _text(data, name, problems, max_len=16, field=field)
    if code and field not in problems:
        if db.session.get(Commune, code) is None:
            _add(problems, field, "commune_not_found", code=code)
        elif not in_scope(event, code):
            problems.add(field, "commune_outside_event")
    return code


def _not_future(day: date | None, name: str, problems: Problems) -> None:
    if day is not None and day > local_today():
        problems.add(name, "future_date")


def allocated_unit(event: Event, item: str) -> str | None:
    return db.session.scalar(select(ReliefAllocation.unit).where(
        ReliefAllocation.event_id == event.id, ReliefAllocation.item == item).limit(1))


# --- allocation ----------------------------------------------------------------------

def create_allocation(user: User, event: Event, data: dict) -> ReliefAllocation:
    """A decision with one line per commune. A change is a new decision, never an edit:
    a commune's allocation is the sum of its lines over all decisions of the item."""
    _require_provincial(user)
    problems = Problems()
    decision_no = _text(data, "decision_no", problems)
    decision_date = _day(data, "decision_date", problems)
    _not_future(decision_date, "decision_date", problems)
    item = _item(data, problems)
    unit = _text(data, "unit", problems, max_len=20)
    if unit and "unit" not in problems and unit not in UNITS:
        problems.add("unit", "unknown_unit", units=", ".join(UNITS))
    elif item in ITEMS and unit and "unit" not in problems:
        existing = allocated_unit(event, item)
        if existing and existing != unit:
            problems.add("unit", "unit_mismatch", unit=existing)
    deadline = _day(data, "deadline", problems, required=False)
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
            quantity = _number(raw, "quantity", problems, positive=True,
                               field=f"lines.{n}.quantity")
            if code in lines:
                _add(problems, f"lines.{n}.commune", "duplicate_commune", code=code)
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
    _require_provincial(user)
    problems = Problems()
    commune = _commune(event, data, problems)
    item = _item(data, problems)
    quantity = _number(data, "quantity", problems, positive=True)
    day = _day(data, "date", problems)
    _not_future(day, "date", problems)
    document_no = _text(data, "document_no", problems)
    reason = _text(data, "shortfall_reason", problems, required=False, max_len=MAX_TEXT)
    problems.raise_if_any(422)
    delivery = ReliefDelivery(event_id=event.id, commune_code=commune, item=item,
                              quantity=quantity, delivered_on=day, document_no=document_no,
                              shortfall_reason=reason, created_by=user.id)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def confirm_delivery(user: User, event: Event, delivery_id: int) -> ReliefDelivery:
    """The commune confirms it received a hand-over (its own officers, or province staff).
    Confirming twice keeps the first confirmation."""
    delivery = db.session.get(ReliefDelivery, delivery_id)
    if delivery is None or delivery.event_id != event.id:
        raise InputError(404, {"delivery": "not_found"})
    _require_distribution_writer(user, delivery.commune_code)
    if delivery.confirmed_at is None:
        delivery.confirmed_at = utcnow()
        delivery.confirmed_by = user.id
        db.session.flush()
    return delivery


# --- distribution --------------------------------------------------------------------

DISTRIBUTION_FIELDS = ("commune", "item", "date", "village", "households", "people", "quantity",
                       "reason")


def distribution_hash(event: Event, data: dict) -> str:
    """The body as the client meant it: numbers as numbers ('15' == 15), text stripped."""
    body = {"event": event.code}
    for name in DISTRIBUTION_FIELDS:
        value = data.get(name)
        if name in ("households", "people", "quantity") and to_number(value) is not None:
            value = to_number(value)
        elif isinstance(value, str):
            value = value.strip()
        body[name] = value if value != "" else None
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


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


def record_distribution(user: User, event: Event, data: dict) -> tuple[ReliefDistribution, bool]:
    """A batch handed out in a village; (row, replayed).

    Idempotent like reports: the same submission_id with the same body answers the
    stored row (replayed=True); with another body 409 `conflict` on submission_id.
    Above what the commune holds (delivered − distributed) is refused 422
    `exceeds_delivered` unless `reason` says why (the pipeline then flags it).
    """
    problems = Problems()
    commune = _text(data, "commune", problems, max_len=16)
    submission_id = _text(data, "submission_id", problems)
    if commune and "commune" not in problems:
        _require_distribution_writer(user, commune)
    if submission_id and "submission_id" not in problems:
        stored = db.session.scalar(select(ReliefDistribution).where(
            ReliefDistribution.submission_id == submission_id))
        if stored is not None:
            if stored.body_hash != distribution_hash(event, data) or stored.event_id != event.id:
                raise InputError(409, {"submission_id": "conflict"},
                                 {"submission_id": "Mã gửi này đã được dùng cho một lần phát khác."})
            return stored, True
    if commune and "commune" not in problems:
        _commune(event, data, problems)
    item = _item(data, problems)
    day = _day(data, "date", problems)
    _not_future(day, "date", problems)
    if day and day < event.start_date:
        problems.add("date", "outside_event")
    village = _text(data, "village", problems, max_len=VILLAGE_MAX)
    households = _number(data, "households", problems, whole=True, maximum=MAX_PEOPLE)
    people = _number(data, "people", problems, whole=True, positive=True, maximum=MAX_PEOPLE)
    quantity = _number(data, "quantity", problems, positive=True)
    reason = _text(data, "reason", problems, required=False, max_len=MAX_TEXT)
    if households is not None and people is not None and households > people:
        problems.add("households", "more_households_than_people")
    if not problems and not reason:
        left = stock_before(event, commune, item, day, quantity)
        if left is not None:
            problems.add("quantity", "exceeds_delivered", available=vn_number(left),
                         unit=allocated_unit(event, item) or ITEMS[item][1])
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
            if to_number(value) is not None:
                out[key.strip()] = to_number(value)
    return out
