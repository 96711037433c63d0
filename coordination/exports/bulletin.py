"""The official quick report (Báo cáo nhanh tình hình thiệt hại do thiên tai).

Laid out per Nghị định 30/2020/NĐ-CP (Phụ lục I): agency block and Quốc hiệu /
tiêu ngữ side by side, "Số: …", place and date, the title, a short situation
text, the table with indicators as rows, "Nơi nhận" and the signature block.
The agency, number, place and signer are admin settings (`coordination.settings`).

Every figure is from the ConsolidatedTable, i.e. the one `summarize()` of the
selection: "Tổng cộng" is `summary.totals`, the area columns add up the same
summary's commune figures by area membership.
"""
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from sqlalchemy import select

from ..areas.models import Area, AreaCommune
from ..extensions import db
from ..settings import get_settings
from ..timeutil import local_deadline_utc
from .table import ConsolidatedTable

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
FONT_FILES = {"": "LiberationSerif-Regular.ttf", "B": "LiberationSerif-Bold.ttf",
              "I": "LiberationSerif-Italic.ttf", "BI": "LiberationSerif-BoldItalic.ttf"}
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
DOC_TYPE = "BÁO CÁO NHANH"
SUBJECT = "Tình hình thiệt hại do thiên tai"
OTHERS = "Các xã, phường khác"
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
         "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX"]
MAX_LISTED = 12  # missing communes named one by one up to this many
MAX_INCIDENTS = 5
NOTE = ("Số liệu lũy kế từ đầu đợt, tổng hợp từ báo cáo của các xã, phường (phiên bản mới nhất "
        "của báo cáo gần nhất); xã, phường chưa báo cáo trong ngày được tính theo số liệu ngày gần nhất.")


def roman(n: int) -> str:
    return ROMAN[n - 1] if n <= len(ROMAN) else str(n)


def nd30_date(place: str, day: date) -> str:
    """'Lạng Sơn, ngày 08 tháng 10 năm 2025': a 0 before days under 10 and months 1 and 2."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


@dataclass
class Row:
    stt: str
    label: str
    unit: str = ""
    values: list[str] = field(default_factory=list)  # Tổng cộng, then one per column
    numbers: list[float | None] = field(default_factory=list)
    group: bool = False
    whole: bool = True


@dataclass
class Bulletin:
    table: ConsolidatedTable
    settings: dict[str, str]
    columns: list[str]   # labels after "Tổng cộng"
    rows: list[Row]
    situation: list[str]

    @property
    def agency_parent(self) -> str:
        return self.settings["agency_parent"].upper()

    @property
    def agency_lines(self) -> list[str]:
        return [line.strip().upper() for line in self.settings["agency_name"].splitlines()
                if line.strip()]

    @property
    def number(self) -> str:
        number = self.settings["document_number"].replace("{nam}", str(self.table.date.year))
        return "Số: " + ("      " if number.startswith("/") else "") + number  # room to write it

    @property
    def place_date(self) -> str:
        return nd30_date(self.settings["place_name"], self.table.date)

    @property
    def title_lines(self) -> list[str]:
        t = self.table
        scope = "" if t.area is None and not t.commune_code else f" ({t.area_name})"
        return [DOC_TYPE, SUBJECT, f"{t.event.name}{scope}, {t.as_of}"]

    @property
    def recipients(self) -> list[str]:
        lines = [line.strip().lstrip("-–•").strip() for line in
                 self.settings["recipients"].splitlines()]
        return [f"- {line}" for line in lines if line]

    @property
    def signer(self) -> list[str]:
        s = self.settings
        return [line.upper() for line in (s["signer_authority"], s["signer_title"]) if line]

    @property
    def header(self) -> list[str]:
        return ["STT", "Chỉ tiêu", "Đơn vị tính", "Tổng cộng", *self.columns]


def _area_columns(table: ConsolidatedTable) -> list[tuple[str, set[str]]]:
    """For the whole province: one column per named area, then the communes in none."""
    if table.area is not None or table.commune_code:
        return []
    in_scope = {c.code for c in table.rows}
    members: dict[str, set[str]] = {}
    for area_code, commune in db.session.execute(select(AreaCommune.area_code,
                                                        AreaCommune.commune_code)):
        if commune in in_scope:
            members.setdefault(area_code, set()).add(commune)
    if not members:
        return []
    names = dict(db.session.execute(select(Area.code, Area.name)).all())
    columns = sorted(((names[a], codes) for a, codes in members.items()), key=lambda c: c[0])
    rest = in_scope - set().union(*members.values())
    if rest:
        columns.append((OTHERS, rest))
    return columns


def _column_total(table: ConsolidatedTable, codes: set[str], indicator: str) -> float | None:
    values = [c.figures[indicator] for c in table.rows if c.code in codes and indicator in c.figures]
    return sum(values) if values else None


def fixed(value: float | None, places: int) -> str:
    """Vietnamese number with exactly `places` decimals: 1.234,50 (blank for no figure)."""
    if value is None:
        return ""
    text = f"{float(value):,.{places}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def decimals(numbers: list[float | None], whole: bool) -> int:
    """One number of decimals for a whole row (0 for counts, else as many as needed, at most 2)."""
    needed = 0
    for v in numbers:
        if v is not None and not float(v).is_integer():
            needed = max(needed, 1 if round(v, 1) == round(v, 2) else 2)
    return 0 if whole and not needed else needed


def _rows(table: ConsolidatedTable, columns) -> list[Row]:
    rows = []
    for n, (label, indicators) in enumerate(table.groups, start=1):
        rows.append(Row(roman(n), label, group=True, values=[""] * (1 + len(columns))))
        for k, ind in enumerate(indicators, start=1):
            numbers = [table.total(ind.code)] + [_column_total(table, codes, ind.code)
                                                 for _, codes in columns]
            places = decimals(numbers, ind.whole_number)
            rows.append(Row(str(k), ind.label, ind.unit, [fixed(v, places) for v in numbers],
                            numbers, whole=ind.whole_number))
    return rows


def _names(names: list[str]) -> str:
    return ", ".join(names)


def _situation(table: ConsolidatedTable) -> list[str]:
    s = table.summary
    t = table.as_of
    total = len(s.communes)
    today = s.reported
    lines = [f"{t[0].upper()}{t[1:]}, {today}/{total} xã, phường đã gửi báo cáo trong ngày; "
             f"{s.missing} xã, phường chưa báo cáo"
             + (f" (trong đó {s.stale} xã, phường được tính theo số liệu ngày trước)"
                if s.stale else "") + "."]
    missing = [c.name for c in s.communes if c.status != "reported"]
    if missing and len(missing) <= MAX_LISTED:
        lines.append(f"Chưa báo cáo trong ngày: {_names(missing)}.")
    lines.extend(_incident_lines(table))
    return lines


def _incident_lines(table: ConsolidatedTable) -> list[str]:
    """Incidents of the event in the table's communes, recorded up to the deadline of the day."""
    from ..maps.incidents import INCIDENT_KINDS, event_incidents

    deadline = local_deadline_utc(table.date, table.event.deadline or time(14))
    in_scope = {c.code for c in table.rows}
    found = [i for i in event_incidents(table.event)
             if i["incident"].commune_code in in_scope and i["incident"].created_at <= deadline]
    if not found:
        return ["Chưa ghi nhận sự cố (vỡ đập, chia cắt, sạt lở) trên bản đồ sự cố."]
    counts: dict[str, int] = {}
    for i in found:
        counts[i["incident"].kind] = counts.get(i["incident"].kind, 0) + 1
    parts = [f"{n} {INCIDENT_KINDS[k][0].lower()}{INCIDENT_KINDS[k][1:]}" for k, n in counts.items()]
    lines = ["Sự cố đã ghi nhận trên bản đồ: " + "; ".join(parts) + "."]
    for i in found[-MAX_INCIDENTS:]:
        text = " ".join(i["incident"].description.split())
        if len(text) > 160:
            text = text[:159] + "…"
        lines.append(f"- {i['commune_name']}: {text} ({INCIDENT_KINDS[i['incident'].kind].lower()}).")
    if len(found) > MAX_INCIDENTS:
        lines.append(f"- Và {len(found) - MAX_INCIDENTS} sự cố khác (xem bản đồ sự cố).")
    return lines


def build_bulletin(table: ConsolidatedTable) -> Bulletin:
    columns = _area_columns(table)
    return Bulletin(table=table, settings=get_settings(), columns=[label for label, _ in columns],
                    rows=_rows(table, columns), situation=_situation(table))
