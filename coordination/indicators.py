"""The damage indicator catalog (Chỉ tiêu thống kê thiệt hại), kept as data.

The default catalog is `coordination/data/indicators.csv`, following the groups
of Thông tư liên tịch 43/2015/TTLT-BNNPTNT-BKHĐT; administrators add more.
"""
import csv
from pathlib import Path

from sqlalchemy import Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

CATALOG_CSV = Path(__file__).parent / "data" / "indicators.csv"


class Indicator(db.Model):
    __tablename__ = "indicators"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))          # Vietnamese official wording
    unit: Mapped[str] = mapped_column(String(40))
    group_code: Mapped[str] = mapped_column(String(40))
    group_label: Mapped[str] = mapped_column(String(120))
    group_order: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    hxl: Mapped[str] = mapped_column(String(120), default="")
    whole_number: Mapped[bool] = mapped_column(Boolean, default=True)  # people, houses: counts
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # 2–3 ASCII capitals typed in an SMS report ("CH 0 MT 1"); None = not reportable by SMS.
    sms_code: Mapped[str | None] = mapped_column(String(3), unique=True)


def read_catalog_csv(path: Path = CATALOG_CSV) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["group_order"] = int(row["group_order"])
        row["position"] = int(row["position"])
        row["whole_number"] = row["whole_number"] == "1"
        row["sms_code"] = (row.get("sms_code") or "").strip().upper() or None
    return rows


def load_catalog(path: Path = CATALOG_CSV) -> int:
    """Add the catalog's indicators that are not in the database yet (never overwrites edits)."""
    existing = set(db.session.scalars(select(Indicator.code)))
    taken = set(db.session.scalars(select(Indicator.sms_code).where(Indicator.sms_code.is_not(None))))
    new = [Indicator(**row) for row in read_catalog_csv(path) if row["code"] not in existing]
    for indicator in new:  # an admin may have given the code to another indicator meanwhile
        if indicator.sms_code in taken:
            indicator.sms_code = None
    db.session.add_all(new)
    return len(new)


def active_indicators() -> list[Indicator]:
    return list(db.session.scalars(
        select(Indicator).where(Indicator.is_active)
        .order_by(Indicator.group_order, Indicator.position, Indicator.code)))


def grouped(indicators: list[Indicator]) -> list[tuple[str, list[Indicator]]]:
    """[(group label, [indicators])] in catalog order, for forms, popups and tables."""
    groups: dict[str, list[Indicator]] = {}
    for ind in indicators:
        groups.setdefault(ind.group_label, []).append(ind)
    return list(groups.items())
