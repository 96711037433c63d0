"""The quick report as XLSX: the same parts as the PDF in one printable sheet.

Indicators are rows, so the sheet is a few columns wide: A4 portrait (landscape
beyond 4 area columns), fit to one page wide, the table's header row repeated
on every page. Figures are numbers (with the row's number of decimals), text is
plain text: `strings_to_formulas=False` keeps "=…" inert without an apostrophe.
"""
import io
import math

import xlsxwriter

from .bulletin import MOTTO, NATION, NOTE, build_bulletin
from .table import ConsolidatedTable, number

FONT = "Times New Roman"
WIDTHS = {"stt": 6, "label": 46, "unit": 10, "total": 13, "area": 15}


def _formats(book) -> dict:
    def fmt(**kw):
        return book.add_format({"font_name": FONT, "font_size": 12, "valign": "vcenter", **kw})
    cell = {"border": 1, "font_size": 11, "text_wrap": True}
    return {
        "center": fmt(align="center", text_wrap=True),
        "center_bold": fmt(align="center", bold=True, text_wrap=True),
        "motto": fmt(align="center", bold=True, font_size=13, underline=1),
        "agency": fmt(align="center", bold=True, underline=1, text_wrap=True),
        "date": fmt(align="center", italic=True, font_size=13),
        "title": fmt(align="center", bold=True, font_size=14),
        "subtitle": fmt(align="center", bold=True, font_size=13, text_wrap=True),
        "para": fmt(align="justify", font_size=13, text_wrap=True, valign="top"),
        "heading": fmt(bold=True, font_size=13),
        "note": fmt(italic=True, font_size=11, text_wrap=True, valign="top"),
        "head": fmt(**cell, bold=True, align="center"),
        "stt": fmt(**cell, align="center"),
        "text": fmt(**cell),
        "group": fmt(**cell, bold=True),
        "group_stt": fmt(**cell, bold=True, align="center"),
        "unit": fmt(**cell, align="center"),
        "recipients_head": fmt(bold=True, italic=True),
        "recipients": fmt(font_size=11, valign="top"),
        "signer": fmt(align="center", bold=True, font_size=13),
        "numbers": {(places, bold): fmt(**cell, bold=bold, num_format="#,##0" + (
            "." + "0" * places if places else "")) for places in (0, 1, 2) for bold in (0, 1)},
    }


def _places(row) -> int:
    values = [v for v in row.values if v]
    return max((len(v.split(",")[1]) if "," in v else 0 for v in values), default=0)


def _lines(text: str, chars: float) -> int:
    return max(1, math.ceil(len(text) / chars))


def write_bulletin_xlsx(table: ConsolidatedTable) -> bytes:
    b = build_bulletin(table)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    f = _formats(book)
    sheet = book.add_worksheet("Báo cáo nhanh")
    last = 3 + len(b.columns)
    if b.columns:
        widths = [WIDTHS["stt"], WIDTHS["label"], WIDTHS["unit"], WIDTHS["total"]] + \
            [WIDTHS["area"]] * len(b.columns)
    else:  # total only: wider unit and total columns so Quốc hiệu (C:D) keeps one line
        widths = [WIDTHS["stt"], 38, 14, 26]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    page_chars = sum(widths) * 0.95  # characters of 13 pt text across the table

    # Agency block (A:B) and Quốc hiệu (C:last), then "Số" and place/date.
    agency = "\n".join(b.agency_lines)
    sheet.merge_range(0, 0, 0, 1, b.agency_parent, f["center"])
    sheet.merge_range(0, 2, 0, last, NATION, f["center_bold"])
    sheet.merge_range(1, 0, 1, 1, agency, f["agency"])
    sheet.merge_range(1, 2, 1, last, MOTTO, f["motto"])
    sheet.set_row(1, 17 * len(b.agency_lines))
    if sum(widths[2:]) < 40:  # narrow right block: Quốc hiệu wraps to two lines
        sheet.set_row(0, 32)
    sheet.merge_range(3, 0, 3, 1, b.number, f["center"])
    sheet.merge_range(3, 2, 3, last, b.place_date, f["date"])
    row = 5
    for n, line in enumerate(b.title_lines):
        sheet.merge_range(row, 0, row, last, line, f["title" if n < 2 else "subtitle"])
        row += 1
    row += 1
    sheet.merge_range(row, 0, row, last, "I. TÌNH HÌNH CHUNG", f["heading"])
    row += 1
    for line in b.situation:
        sheet.merge_range(row, 0, row, last, line, f["para"])
        sheet.set_row(row, 17 * _lines(line, page_chars))
        row += 1
    sheet.merge_range(row, 0, row, last, "II. TỔNG HỢP THIỆT HẠI", f["heading"])
    row += 1

    header_row = row
    for col, text in enumerate(b.header):
        sheet.write_string(row, col, text, f["head"])
    sheet.set_row(row, 32 if b.columns else 18)
    row += 1
    for r in b.rows:
        if r.group:
            sheet.write_string(row, 0, r.stt, f["group_stt"])
            sheet.merge_range(row, 1, row, last, r.label, f["group"])
        else:
            places = _places(r)
            sheet.write_string(row, 0, r.stt, f["stt"])
            sheet.write_string(row, 1, r.label, f["text"])
            sheet.write_string(row, 2, r.unit, f["unit"])
            for n, value in enumerate(r.numbers):
                fmt = f["numbers"][(places, int(n == 0))]
                if value is None:
                    sheet.write_blank(row, 3 + n, None, fmt)
                else:
                    sheet.write_number(row, 3 + n, number(value), fmt)
            if len(r.label) > WIDTHS["label"] * 1.05:
                sheet.set_row(row, 15 * _lines(r.label, WIDTHS["label"] * 1.05))
        row += 1
    note = "Ghi chú: " + NOTE
    sheet.merge_range(row, 0, row, last, note, f["note"])
    sheet.set_row(row, 15 * _lines(note, page_chars * 1.1))
    row += 2

    # Nơi nhận (A:B) and the signature block (C:last).
    sheet.merge_range(row, 0, row, 1, "Nơi nhận:", f["recipients_head"])
    signer = list(b.signer)
    for n, line in enumerate(signer):
        sheet.merge_range(row + n, 2, row + n, last, line, f["signer"])
    for n, line in enumerate(b.recipients, start=1):
        sheet.merge_range(row + n, 0, row + n, 1, line, f["recipients"])
    name_row = row + max(len(signer) + 5, len(b.recipients) + 1)
    if b.settings["signer_name"]:
        sheet.merge_range(name_row, 2, name_row, last, b.settings["signer_name"], f["signer"])

    if len(b.columns) > 4:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.print_area(0, 0, name_row, last)
    sheet.set_margins(left=1.18, right=0.59, top=0.79, bottom=0.79)  # 30/15/20/20 mm
    sheet.set_footer("&CTrang &P/&N")
    sheet.hide_gridlines(2)
    book.set_properties({"title": " ".join(b.title_lines), "author": " ".join(b.agency_lines)})
    book.close()
    return out.getvalue()
