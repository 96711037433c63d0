"""The consolidated damage table (bảng tổng hợp thiệt hại), built from ONE summary.

Every format (HTML, XLSX, CSV, HXL, GeoJSON, PDF) renders a ConsolidatedTable,
so every number in every format is a number of `summarize()` for the same
selection: row values are the communes' figures, totals are the summary's.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..areas.models import Area
from ..events import Event
from ..extensions import db
from ..indicators import Indicator, active_indicators, grouped
from ..reports.aggregation import (CommuneFigures, IncludedVersion, Summary,  # noqa: F401
                                   summarize, versions_used)
from ..timeutil import utcnow

STATUS_LABELS = {"reported": "Đã báo cáo", "stale": "Số liệu ngày trước", "missing": "Chưa báo cáo"}


@dataclass
class ConsolidatedTable:
    event: Event
    date: date
    area: Area | None
    summary: Summary
    indicators: list[Indicator]
    previous: Summary | None = None  # the day before, when the change is asked for
    commune_code: str | None = None  # a commune officer's own-commune table
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def area_name(self) -> str:
        if self.commune_code and self.summary.communes:
            return self.summary.communes[0].name
        return self.area.name if self.area else "Toàn tỉnh"

    @property
    def scope_slug(self) -> str:
        return scope_slug(self.area, self.commune_code)

    @property
    def groups(self) -> list[tuple[str, list[Indicator]]]:
        return grouped(self.indicators)

    @property
    def title(self) -> str:
        return f"Bảng tổng hợp thiệt hại: {self.event.name}"

    @property
    def as_of(self) -> str:
        """'tính đến 14 giờ ngày 08/10/2025', at the event's daily deadline."""
        at = self.event.deadline
        hour = f"{at.hour} giờ" + (f" {at.minute:02d}" if at.minute else "")
        return f"tính đến {hour} ngày {self.date:%d/%m/%Y}"

    @property
    def subtitle(self) -> str:
        return f"{self.area_name}, {self.as_of}"

    @property
    def counts_line(self) -> str:
        s = self.summary
        line = f"Đã báo cáo {s.reported}/{len(s.communes)} xã/phường; chưa báo cáo {s.missing}"
        return line + (f" (trong đó {s.stale} dùng số liệu ngày trước)" if s.stale else "")

    @property
    def rows(self) -> list[CommuneFigures]:
        return self.summary.communes

    def total(self, code: str) -> float | None:
        return self.summary.totals.get(code)

    def change(self, commune: CommuneFigures | None, code: str) -> float | None:
        """Change since the previous day (None when not asked for or nothing to compare)."""
        if self.previous is None:
            return None
        before = self.previous.totals if commune is None else self._previous_figures(commune.code)
        now = self.summary.totals if commune is None else commune.figures
        if code not in now and code not in before:
            return None
        return now.get(code, 0) - before.get(code, 0)

    def _previous_figures(self, commune_code: str) -> dict[str, float]:
        if not hasattr(self, "_prev_index"):
            self._prev_index = {c.code: c.figures for c in self.previous.communes}
        return self._prev_index.get(commune_code, {})


def scope_slug(area: Area | None, commune_code: str | None) -> str:
    """The area part of a file name: toan-tinh, ky-cung, xa-06040."""
    if commune_code:
        return f"xa-{commune_code}"
    return area.code if area else "toan-tinh"


def status_label(commune: CommuneFigures) -> str:
    if commune.status == "stale":
        return f"Số liệu ngày {commune.report_date:%d/%m/%Y}"
    return STATUS_LABELS[commune.status]


def table_indicators(summary: Summary) -> list[Indicator]:
    """Active indicators, plus retired ones that still carry figures in this summary."""
    indicators = active_indicators()
    known = {i.code for i in indicators}
    retired = set(summary.totals) - known
    if retired:
        indicators += db.session.scalars(select(Indicator).where(Indicator.code.in_(retired)))
        indicators.sort(key=lambda i: (i.group_order, i.position, i.code))
    return indicators


def build_table(event: Event, on_date: date, area: Area | None = None,
                commune_code: str | None = None, change: bool = False) -> ConsolidatedTable:
    """The table of one selection; `change` adds the previous day's summary for differences."""
    codes = [commune_code] if commune_code else None
    area_code = area.code if area else None
    summary = summarize(event, on_date, area_code, codes)
    previous = summarize(event, on_date - timedelta(days=1), area_code, codes) if change else None
    return ConsolidatedTable(event=event, date=on_date, area=area, summary=summary,
                             indicators=table_indicators(summary), previous=previous,
                             commune_code=commune_code)


def number(value: float | None) -> int | float | None:
    """Whole floats as ints, so 2.0 is written 2 and stays a number."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def included_versions(table: ConsolidatedTable) -> list[IncludedVersion]:
    """The report version behind each commune's row (the one the summary used)."""
    return versions_used(table.rows)
