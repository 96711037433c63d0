"""The quick report as PDF: A4 portrait (landscape when more than 4 area columns),
Nghị định 30/2020 margins and sizes, Liberation Serif (Times New Roman metrics,
every Vietnamese glyph) embedded from coordination/data/fonts.
"""
from fpdf import FPDF
from fpdf.fonts import FontFace

from .bulletin import FONT_DIR, FONT_FILES, MOTTO, NATION, NOTE, Bulletin, build_bulletin
from .table import ConsolidatedTable

FONT = "LiberationSerif"
LEFT, RIGHT, TOP, BOTTOM = 30, 15, 20, 20  # mm, Nghị định 30/2020 Phụ lục I
HEAD = FontFace(emphasis="BOLD")
GROUP = FontFace(emphasis="BOLD")


class _Paper(FPDF):
    def header(self) -> None:
        """Nghị định 30/2020: page numbers centred in the top margin, from page 2 on."""
        if self.page_no() > 1:
            self.set_font(FONT, "", 12)
            self.set_xy(self.l_margin, 10)
            self.cell(self.w - self.l_margin - self.r_margin, 5, str(self.page_no()), align="C")
            self.set_xy(self.l_margin, self.t_margin)


def _document(b: Bulletin) -> FPDF:
    landscape = len(b.columns) > 4
    pdf = _Paper(orientation="L" if landscape else "P", unit="mm", format="A4")
    for style, name in FONT_FILES.items():
        pdf.add_font(FONT, style, str(FONT_DIR / name))
    pdf.set_title(" ".join(b.title_lines))
    pdf.set_author(" ".join(b.agency_lines))
    pdf.set_creator("PCTT&TKCN")
    pdf.set_margins(LEFT if not landscape else 20, TOP, RIGHT)
    pdf.set_auto_page_break(True, margin=BOTTOM)
    pdf.set_lang("vi")
    return pdf


def _centered(pdf: FPDF, x: float, width: float, text: str, size: float, style: str = "",
              height: float = 5.6) -> None:
    pdf.set_font(FONT, style, size)
    pdf.set_x(x)
    pdf.multi_cell(width, height, text, align="C", new_x="LEFT", new_y="NEXT")


def _rule(pdf: FPDF, x: float, width: float, length: float) -> None:
    """The thin line under the agency name and the motto (centred in its column)."""
    y = pdf.get_y() + 1.0
    start = x + (width - length) / 2
    pdf.set_line_width(0.3)
    pdf.line(start, y, start + length, y)
    pdf.set_y(y + 1.2)


def _header(pdf: FPDF, b: Bulletin) -> None:
    epw = pdf.w - pdf.l_margin - pdf.r_margin
    left_w = epw * 0.42
    right_x, right_w = pdf.l_margin + left_w, epw - left_w
    top = pdf.get_y()
    # Left: cơ quan chủ quản, cơ quan ban hành (bold), rule, số.
    x = pdf.l_margin
    if b.agency_parent:
        _centered(pdf, x, left_w, b.agency_parent, 12.5)
    for line in b.agency_lines:
        _centered(pdf, x, left_w, line, 12.5, "B")
    _rule(pdf, x, left_w, min(left_w / 2.5, pdf.get_string_width(b.agency_lines[-1])))
    pdf.ln(1.5)
    _centered(pdf, x, left_w, b.number, 13)
    left_bottom = pdf.get_y()
    # Right: Quốc hiệu, tiêu ngữ (rule as long as it), place and date in italics.
    pdf.set_y(top)
    _centered(pdf, right_x, right_w, NATION, 12, "B")
    _centered(pdf, right_x, right_w, MOTTO, 13, "B")
    pdf.set_font(FONT, "B", 13)
    _rule(pdf, right_x, right_w, pdf.get_string_width(MOTTO))
    pdf.ln(1.5)
    _centered(pdf, right_x, right_w, b.place_date, 13, "I")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def _title(pdf: FPDF, b: Bulletin) -> None:
    epw = pdf.w - pdf.l_margin - pdf.r_margin
    doc_type, subject, scope = b.title_lines
    _centered(pdf, pdf.l_margin, epw, doc_type, 14, "B", 6.5)
    _centered(pdf, pdf.l_margin, epw, subject, 14, "B", 6.5)
    _centered(pdf, pdf.l_margin, epw, scope, 13, "B", 6)
    pdf.set_font(FONT, "B", 13)
    _rule(pdf, pdf.l_margin, epw, 40)
    pdf.ln(3)


def _paragraphs(pdf: FPDF, b: Bulletin) -> None:
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 6.5, "I. TÌNH HÌNH CHUNG", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 13)
    for line in b.situation:
        pdf.set_x(pdf.l_margin + 10)
        pdf.multi_cell(0, 6.5, line, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 6.5, "II. TỔNG HỢP THIỆT HẠI", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _table(pdf: FPDF, b: Bulletin) -> None:
    epw = pdf.w - pdf.l_margin - pdf.r_margin
    extra = len(b.columns)
    stt, unit, number = 11, 16, 22
    other = 22 if extra else 0
    label = epw - stt - unit - number - other * extra
    widths = [stt, label, unit, number] + [other] * extra
    aligns = ["CENTER", "LEFT", "CENTER", "RIGHT"] + ["RIGHT"] * extra
    pdf.set_font(FONT, "", 11)
    with pdf.table(col_widths=widths, width=epw, text_align=aligns, line_height=5,
                   headings_style=HEAD, repeat_headings=1, v_align="MIDDLE",
                   padding=(0.6, 1.2)) as grid:
        head = grid.row()
        for text in b.header:
            head.cell(text, align="CENTER")
        for row in b.rows:
            cells = grid.row()
            if row.group:
                cells.cell(row.stt, style=GROUP, align="CENTER")
                cells.cell(row.label, style=GROUP, colspan=len(widths) - 1)
                continue
            cells.cell(row.stt)
            cells.cell(row.label)
            cells.cell(row.unit)
            for n, value in enumerate(row.values):
                cells.cell(value, style=HEAD if n == 0 else None)
    pdf.ln(1.5)
    pdf.set_font(FONT, "I", 11)
    pdf.multi_cell(0, 5, "Ghi chú: " + NOTE, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _closing(pdf: FPDF, b: Bulletin) -> None:
    """'Nơi nhận' on the left, the signature block on the right, kept on one page."""
    recipients = b.recipients
    needed = max(6 + 5 * len(recipients), 50)
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    epw = pdf.w - pdf.l_margin - pdf.r_margin
    left_w = epw * 0.45
    right_x, right_w = pdf.l_margin + left_w, epw - left_w
    top = pdf.get_y()
    pdf.set_font(FONT, "BI", 12)
    pdf.set_x(pdf.l_margin)
    pdf.cell(left_w, 6, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    for line in recipients:
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(left_w, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top)
    for line in b.signer:
        _centered(pdf, right_x, right_w, line, 13, "B", 6)
    pdf.ln(24)  # room for the signature and the seal
    if b.settings["signer_name"]:
        _centered(pdf, right_x, right_w, b.settings["signer_name"], 13, "B", 6)


def write_bulletin_pdf(table: ConsolidatedTable) -> bytes:
    b = build_bulletin(table)
    pdf = _document(b)
    pdf.add_page()
    _header(pdf, b)
    _title(pdf, b)
    _paragraphs(pdf, b)
    _table(pdf, b)
    _closing(pdf, b)
    return bytes(pdf.output())
