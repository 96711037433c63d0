"""PDF daily bulletin (bản tin): A4 landscape, totals and the map of collapsed houses on
page one, then the commune table in column blocks that fit the page width.

DejaVu Sans (shipped with matplotlib) is embedded so Vietnamese text renders
and can be extracted again.
"""
import io
from pathlib import Path

import matplotlib
from flask import current_app
from fpdf import FPDF
from fpdf.fonts import FontFace

from ..selection import Selection
from ..timeutil import fmt_local
from .bulletin import decimals, fixed
from .table import ConsolidatedTable, status_label

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
MAP_INDICATOR = "houses_collapsed"
PER_BLOCK = 9  # indicator columns per table block on an A4 landscape page
HEAD = FontFace(emphasis="BOLD", fill_color=(221, 235, 247))
TOTAL = FontFace(emphasis="BOLD", fill_color=(255, 242, 204))


def _document(table: ConsolidatedTable) -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(table.title)
    pdf.set_subject(table.subtitle)
    pdf.set_creator("PCTT&TKCN")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=12)
    return pdf


def _heading(pdf: FPDF, table: ConsolidatedTable) -> None:
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, table.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, table.counts_line + ".", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7)
    pdf.multi_cell(0, 4, f"Xuất lúc {fmt_local(table.generated_at, '%H:%M %d/%m/%Y')}",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def places(table: ConsolidatedTable, indicator) -> int:
    """One number of decimals per indicator column (rows and total alike)."""
    values = [c.figures.get(indicator.code) for c in table.rows] + [table.total(indicator.code)]
    return decimals(values, indicator.whole_number)


def _shown(table: ConsolidatedTable) -> list:
    """Indicators with figures: an all-empty column adds nothing to a bulletin."""
    return [i for i in table.indicators if table.total(i.code) is not None]


def _totals(pdf: FPDF, table: ConsolidatedTable, width: float) -> None:
    pdf.set_font("DejaVu", "", 8)
    shown = _shown(table)
    if not shown:
        pdf.multi_cell(width, 5, "Chưa có số liệu thiệt hại cho lựa chọn này.")
        return
    with pdf.table(width=width, col_widths=(24, 58, 14, 20), align="LEFT", line_height=4.2,
                   headings_style=HEAD, text_align=("LEFT", "LEFT", "CENTER", "RIGHT")) as t:
        t.row(["Nhóm", "Chỉ tiêu", "Đơn vị", "Tổng cộng"])
        for group, indicators in table.groups:
            for ind in indicators:
                if ind in shown:
                    t.row([group, ind.label, ind.unit,
                           fixed(table.total(ind.code), places(table, ind))])


def _map(pdf: FPDF, table: ConsolidatedTable, x: float, y: float, width: float) -> None:
    """The map of the main indicator; a bulletin without its map beats no bulletin."""
    from ..maps.static import render_map_png

    selection = Selection(table.event, table.date, table.area)
    try:
        png = render_map_png(selection, MAP_INDICATOR, summary=table.summary)
    except Exception:  # noqa: BLE001 — logged, and said on the page
        current_app.logger.exception("bulletin map failed for %s %s", table.event.code, table.date)
        pdf.set_xy(x, y)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width, 5, "Không vẽ được bản đồ cho lựa chọn này.")
        return
    pdf.image(io.BytesIO(png), x=x, y=y, w=width, h=210 - 14 - y, keep_aspect_ratio=True)


ROW_H = 3.8
LINE_H = 3.0
PAD = 0.8


class _Grid:
    """One column block of the commune table, drawn with text and lines.

    fpdf2's table() and cell() lay out every cell and take minutes for a national
    table; rows here are one line, text is placed directly and measured with a
    per-character width cache.
    """

    def __init__(self, pdf: FPDF, widths: list[float], aligns: list[str], labels: list[str]):
        self.pdf, self.widths, self.aligns, self.labels = pdf, widths, aligns, labels
        self.right = pdf.l_margin + sum(widths)
        self._char_widths: dict[tuple[str, str], float] = {}
        self.top = 0.0

    def width(self, text: str) -> float:
        style = self.pdf.font_style
        cache = self._char_widths
        total = 0.0
        for ch in text:
            if (style, ch) not in cache:
                cache[(style, ch)] = self.pdf.get_string_width(ch)
            total += cache[(style, ch)]
        return total

    def fit(self, text: str, width: float) -> str:
        if self.width(text) <= width - 2 * PAD:
            return text
        while text and self.width(text + "…") > width - 2 * PAD:
            text = text[:-1]
        return text + "…"

    def header(self) -> None:
        """The column labels, wrapped once and redrawn as plain text on each page."""
        pdf = self.pdf
        pdf.set_font("DejaVu", "B", 6.5)
        if not hasattr(self, "_wrapped"):
            self._wrapped = [pdf.multi_cell(w - 1, LINE_H, t, dry_run=True, output="LINES")
                             for w, t in zip(self.widths, self.labels)]
        height = max(len(lines) for lines in self._wrapped) * LINE_H + 1
        top, x = pdf.get_y(), pdf.l_margin
        pdf.set_fill_color(*HEAD.fill_color.colors255)
        for w, lines in zip(self.widths, self._wrapped):
            pdf.rect(x, top, w, height, style="DF")
            for n, line in enumerate(lines):
                pdf.text(x + (w - self.width(line)) / 2, top + (n + 1) * LINE_H - 0.3, line)
            x += w
        self.top = top + height
        pdf.set_xy(pdf.l_margin, self.top)
        pdf.set_font("DejaVu", "", 7)

    def close_columns(self) -> None:
        x, bottom = self.pdf.l_margin, self.pdf.get_y()
        for w in [0, *self.widths]:
            x += w
            self.pdf.line(x, self.top, x, bottom)

    def row(self, cells: list[str], total: bool = False) -> None:
        pdf = self.pdf
        if pdf.get_y() + ROW_H > pdf.h - pdf.b_margin:
            self.close_columns()
            pdf.add_page()
            self.header()
        y, x = pdf.get_y(), pdf.l_margin
        if total:
            pdf.set_font("DejaVu", "B", 7)
            pdf.set_fill_color(*TOTAL.fill_color.colors255)
            pdf.rect(x, y, self.right - x, ROW_H, style="F")
        for w, text, align in zip(self.widths, cells, self.aligns):
            if text:
                text = self.fit(text, w)
                used = self.width(text)
                left = {"R": x + w - used - PAD, "C": x + (w - used) / 2}.get(align, x + PAD)
                pdf.text(left, y + ROW_H - 1.0, text)
            x += w
        pdf.line(pdf.l_margin, y + ROW_H, self.right, y + ROW_H)
        pdf.set_y(y + ROW_H)


def _block(pdf: FPDF, table: ConsolidatedTable, indicators: list) -> None:
    grid = _Grid(pdf, widths=[8, 40, 33] + [21.3] * len(indicators),
                 aligns=["C", "L", "L"] + ["R"] * len(indicators),
                 labels=["STT", "Xã/phường", "Tình trạng"]
                 + [f"{i.label} ({i.unit})" for i in indicators])
    grid.header()
    digits = [places(table, i) for i in indicators]
    for stt, c in enumerate(table.rows, start=1):
        grid.row([str(stt), c.name, status_label(c)]
                 + [fixed(c.figures.get(i.code), d) for i, d in zip(indicators, digits)])
    grid.row(["", "Tổng cộng", ""] + [fixed(table.total(i.code), d)
                                      for i, d in zip(indicators, digits)], total=True)
    grid.close_columns()


def write_pdf(table: ConsolidatedTable) -> bytes:
    pdf = _document(table)
    pdf.add_page()
    _heading(pdf, table)
    top = pdf.get_y()
    _totals(pdf, table, width=140)
    _map(pdf, table, x=155, y=top, width=132)
    shown = _shown(table)
    for start in range(0, len(shown), PER_BLOCK):
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 5, f"{table.title}: {table.subtitle}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        _block(pdf, table, shown[start:start + PER_BLOCK])
    return bytes(pdf.output())
