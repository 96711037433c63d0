"""What the commander reads first: headline figures, who has not reported, who is worst hit.

Every number comes from the one aggregation: `summarize` for the chosen day
and the day before (the change since yesterday), and `trend.daily_totals`
(checked equal to `summarize` day by day) for the charts.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..auth.accounts import commune_officers
from ..events import Event
from ..relief.ledger import allocated_total
from ..extensions import db
from ..formatting import vn_number
from ..indicators import Indicator
from ..reports.aggregation import CommuneFigures, Summary, summarize
from ..timeutil import to_local, utcnow
from ..reports.aggregation import daily_totals

# (key, label, indicator codes summed). Labels are short: they sit on a phone-sized card.
HEADLINE = [
    ("dead", "Người chết", ["people_dead"]),
    ("missing", "Người mất tích", ["people_missing"]),
    ("injured", "Người bị thương", ["people_injured"]),
    ("evacuated", "Người phải sơ tán", ["people_evacuated"]),
    ("houses_collapsed", "Nhà sập đổ, cuốn trôi", ["houses_collapsed"]),
    ("houses_damaged", "Nhà hư hỏng", ["houses_damaged_heavy", "houses_damaged_partial"]),
    ("houses_flooded", "Nhà bị ngập", ["houses_flooded"]),
    ("landslide_points", "Điểm sạt lở giao thông", ["landslide_points"]),
    ("villages_isolated", "Thôn, bản bị chia cắt", ["villages_isolated"]),
    ("rice", "Gạo cứu trợ đã phát", ["rice_distributed_kg"]),
]
# Charts by day: (key, title, indicator codes summed); "reported" is the reporting count.
CHARTS = [
    ("dead", "Người chết", ["people_dead"]),
    ("missing", "Người mất tích", ["people_missing"]),
    ("evacuated", "Người phải sơ tán", ["people_evacuated"]),
    ("houses_collapsed", "Nhà sập đổ, cuốn trôi", ["houses_collapsed"]),
    ("houses_damaged", "Nhà hư hỏng", ["houses_damaged_heavy", "houses_damaged_partial"]),
    ("reported", "Số xã báo cáo trong ngày", []),
]
HARM = ["people_dead", "people_missing"]
HOUSES = ["houses_collapsed", "houses_damaged_heavy", "houses_damaged_partial"]
TOP = 10


def _sum(figures: dict, codes: list[str]) -> float:
    return sum(figures.get(c, 0) for c in codes)


def rice_allocated(event: Event, day: date, area_code: str | None) -> float | None:
    """Rice allocated by decision (the relief ledger); None when no decision allocates rice."""
    total = allocated_total(event, "gao", day, area_code)
    return total or None


@dataclass
class Card:
    key: str
    label: str
    unit: str
    value: float
    change: float
    detail: str = ""
    of: float | None = None  # rice: distributed "of" allocated
    has_of: bool = False


@dataclass
class Waiting:
    commune: CommuneFigures
    people: list[dict] = field(default_factory=list)  # {"name", "phone", "tel"}


@dataclass
class Chart:
    key: str
    title: str
    unit: str
    points: list[tuple[date, float]]
    ceiling: float | None = None  # the reporting chart's expected count


@dataclass
class Dashboard:
    event: Event
    day: date
    area_code: str | None
    summary: Summary
    cards: list[Card]
    waiting: list[Waiting]
    deadline_passed: bool
    deadline_label: str
    affected: list[CommuneFigures]
    charts: list[Chart]

    @property
    def previous_day(self) -> date:
        """The day the headline's changes are counted from."""
        return self.day - timedelta(days=1)


def tel(phone: str) -> str:
    """A phone number as a tel: target (digits and a leading +)."""
    cleaned = re.sub(r"[^\d+]", "", phone or "")
    return cleaned[0] + cleaned[1:].replace("+", "") if cleaned else ""


def _units() -> dict[str, str]:
    return dict(db.session.execute(select(Indicator.code, Indicator.unit)).all())


def _cards(today: Summary, yesterday: Summary, allocated: float | None) -> list[Card]:
    units = _units()
    cards = []
    for key, label, codes in HEADLINE:
        value = _sum(today.totals, codes)
        card = Card(key, label, units.get(codes[0], ""), value, value - _sum(yesterday.totals, codes))
        if key == "houses_damaged":
            card.detail = "nặng {} · một phần {}".format(*(
                vn_number(today.totals.get(c, 0)) for c in codes))
        if key == "rice":
            card.has_of, card.of = True, allocated
        cards.append(card)
    return cards


def deadline_state(event: Event, day: date, now_utc: datetime) -> tuple[bool, str]:
    """(passed?, label) for the chosen day's reporting deadline, in local time."""
    now = to_local(now_utc)
    passed = (day, event.deadline) <= (now.date(), now.time().replace(tzinfo=None))
    return passed, event.deadline.strftime("%H:%M")


def _waiting(summary: Summary) -> list[Waiting]:
    """Communes without a report for the day; those with an officer to call come first."""
    late = [c for c in summary.communes if c.status != "reported"]
    people = commune_officers([c.code for c in late])
    waiting = [Waiting(c, [{"name": u.full_name or u.username, "phone": u.phone, "tel": tel(u.phone)}
                           for u in people.get(c.code, [])]) for c in late]
    return sorted(waiting, key=lambda w: not any(p["tel"] for p in w.people))


def most_affected(summary: Summary, limit: int = TOP) -> list[CommuneFigures]:
    """Communes by deaths + missing, then houses collapsed, then houses damaged; none at zero."""
    def key(c: CommuneFigures):
        f = c.figures
        return (_sum(f, HARM), f.get("houses_collapsed", 0), _sum(f, HOUSES[1:]),
                f.get("houses_flooded", 0))
    hit = [c for c in summary.communes if any(key(c))]
    return sorted(hit, key=lambda c: (tuple(-k for k in key(c)), c.name))[:limit]


def charts(event: Event, day: date, area_code: str | None) -> list[Chart]:
    codes = sorted({c for _, _, cs in CHARTS for c in cs})
    series = daily_totals(event, day, area_code, codes)
    units = _units()
    out = []
    for key, title, chart_codes in CHARTS:
        if key == "reported":
            out.append(Chart(key, title, "xã", [(d.date, d.reported) for d in series],
                             ceiling=series[-1].expected if series else None))
        else:
            out.append(Chart(key, title, units.get(chart_codes[0], ""),
                             [(d.date, _sum(d.totals, chart_codes)) for d in series]))
    return out


def build(event: Event, day: date, area_code: str | None, now_utc: datetime | None = None) -> Dashboard:
    now_utc = now_utc or utcnow()
    today = summarize(event, day, area_code)
    yesterday = summarize(event, day - timedelta(days=1), area_code)  # = previous_day
    passed, label = deadline_state(event, day, now_utc)
    return Dashboard(event=event, day=day, area_code=area_code, summary=today,
                     cards=_cards(today, yesterday, rice_allocated(event, day, area_code)),
                     waiting=_waiting(today), deadline_passed=passed, deadline_label=label,
                     affected=most_affected(today), charts=charts(event, day, area_code))
