"""XLSX in the official layout: title, grouped headers, units, totals, print set-up.

Printing: A4 landscape at 85 %, at most 12 indicator columns a page (page breaks
between indicator groups where possible), STT/code/commune columns and the
three header rows repeated on every page. Text is written as plain strings:
`strings_to_formulas=False` already keeps "=…" inert, so no apostrophe is added
(an apostrophe would show in the cell). CSV keeps its apostrophe (safe.py).

constant_memory streams each row to a temporary file as soon as the next row
starts, so memory stays flat for a national table; the price is that cells are
written strictly row by row (no vertical merges: the STT/code/name headers
share the header fill instead).
"""
import io

import xlsxwriter

from ..timeutil import fmt_local
from .table import ConsolidatedTable, included_versions, number, status_label

HEADER_ROWS = (4, 5, 6)  # group labels, indicator labels, units
FIRST_DATA_ROW = 7
FIXED = ["STT", "Mã xã", "Xã/phường"]
TRAILING = ["Tình trạng", "Ngày số liệu", "Phiên bản", "Ghi chú (mới nhất)"]
SOURCE = "Báo cáo thiệt hại của các xã/phường (số liệu lũy kế, phiên bản mới nhất của báo cáo gần nhất)"


def _formats(book) -> dict:
    base = {"font_name": "Times New Roman", "font_size": 11, "border": 1, "valign": "vcenter"}
    header = {**base, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}
    return {
        "title": book.add_format({"bold": True, "font_size": 14, "font_name": "Times New Roman"}),
        "subtitle": book.add_format({"italic": True, "font_name": "Times New Roman"}),
        "header": book.add_format(header),
        "header_blank": book.add_format({**header, "top": 0, "bottom": 0}),
        "text": book.add_format(base),
        "note": book.add_format({**base, "text_wrap": True, "valign": "top"}),
        "whole": book.add_format({**base, "num_format": "#,##0"}),
        "decimal": book.add_format({**base, "num_format": "#,##0.00"}),
        "date": book.add_format({**base, "num_format": "dd/mm/yyyy", "align": "center"}),
        "total_text": book.add_format({**base, "bold": True, "bg_color": "#FFF2CC"}),
        "total_whole": book.add_format({**base, "bold": True, "bg_color": "#FFF2CC", "num_format": "#,##0"}),
        "total_decimal": book.add_format({**base, "bold": True, "bg_color": "#FFF2CC", "num_format": "#,##0.00"}),
        "key": book.add_format({"bold": True, "font_name": "Times New Roman", "valign": "top"}),
        "info": book.add_format({"font_name": "Times New Roman", "text_wrap": True, "valign": "top"}),
        "info_number": book.add_format({"font_name": "Times New Roman", "align": "left",
                                        "valign": "top"}),
    }


def _write_value(sheet, row, col, value, fmt):
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    else:
        sheet.write_number(row, col, number(value), fmt)


def _header(sheet, table: ConsolidatedTable, f: dict) -> int:
    """Title lines and the three header rows; returns the last column index."""
    last = len(FIXED) + len(table.indicators) + len(TRAILING) - 1
    sheet.merge_range(0, 0, 0, last, table.title, f["title"])
    sheet.merge_range(1, 0, 1, last, table.subtitle, f["subtitle"])
    sheet.merge_range(2, 0, 2, last, table.counts_line, f["subtitle"])
    group_row, label_row, unit_row = HEADER_ROWS
    for col, label in enumerate(FIXED):
        sheet.write_string(group_row, col, label, f["header"])
    col = len(FIXED)
    for label, indicators in table.groups:
        if len(indicators) > 1:
            sheet.merge_range(group_row, col, group_row, col + len(indicators) - 1, label, f["header"])
        else:
            sheet.write_string(group_row, col, label, f["header"])
        col += len(indicators)
    for offset, label in enumerate(TRAILING):
        sheet.write_string(group_row, col + offset, label, f["header"])
    for row, attr in ((label_row, "label"), (unit_row, "unit")):
        for c in range(len(FIXED)):
            sheet.write_blank(row, c, None, f["header_blank"])
        for c, ind in enumerate(table.indicators, start=len(FIXED)):
            sheet.write_string(row, c, getattr(ind, attr), f["header"])
        for c in range(col, last + 1):
            sheet.write_blank(row, c, None, f["header_blank"])
    return last


def _rows(sheet, table: ConsolidatedTable, f: dict) -> int:
    row = FIRST_DATA_ROW
    columns = [(col, ind.code, f["whole" if ind.whole_number else "decimal"])
               for col, ind in enumerate(table.indicators, start=len(FIXED))]
    for stt, commune in enumerate(table.rows, start=1):
        sheet.write_number(row, 0, stt, f["text"])
        sheet.write_string(row, 1, commune.code, f["text"])
        sheet.write_string(row, 2, commune.name, f["text"])
        for col, code, fmt in columns:
            _write_value(sheet, row, col, commune.figures.get(code), fmt)
        col = len(FIXED) + len(table.indicators)
        sheet.write_string(row, col, status_label(commune), f["text"])
        if commune.report_date:
            sheet.write_datetime(row, col + 1, commune.report_date, f["date"])
        else:
            sheet.write_blank(row, col + 1, None, f["text"])
        _write_value(sheet, row, col + 2, commune.version, f["whole"])
        sheet.write_string(row, col + 3, commune.note, f["note"])
        row += 1
    sheet.merge_range(row, 0, row, 2, "Tổng cộng", f["total_text"])
    for col, ind in enumerate(table.indicators, start=len(FIXED)):
        _write_value(sheet, row, col, table.total(ind.code),
                     f["total_whole" if ind.whole_number else "total_decimal"])
    return row


PER_PAGE = 12  # indicator columns on one printed page
PRINT_SCALE = 85  # A4 landscape holds STT/code/commune + 12 indicator columns at 85 %


def page_breaks(table: ConsolidatedTable, per_page: int = PER_PAGE) -> list[int]:
    """Column indexes where a new printed page starts: whole groups packed into pages of
    at most `per_page` indicators (a group larger than a page is split)."""
    breaks, used, col = [], 0, len(FIXED)
    for _, indicators in table.groups:
        size = len(indicators)
        if used and used + size > per_page:
            breaks.append(col)
            used = 0
        while size > per_page - used:
            col += per_page - used
            size -= per_page - used
            breaks.append(col)
            used = 0
        col += size
        used += size
    return breaks


def _print_setup(sheet, table: ConsolidatedTable, last_col: int, last_row: int) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_print_scale(PRINT_SCALE)
    sheet.set_v_pagebreaks(page_breaks(table))
    sheet.repeat_rows(HEADER_ROWS[0], HEADER_ROWS[-1])
    sheet.repeat_columns(0, len(FIXED) - 1)
    sheet.print_area(0, 0, last_row, last_col)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&CTrang &P/&N")


def _summary_sheet(book, table: ConsolidatedTable, f: dict) -> None:
    sheet = book.add_worksheet("Tổng hợp")
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 1, 8)
    sheet.set_column(2, 2, 24)
    sheet.set_column(3, 2 + len(table.indicators), 10)
    first_trailing = 3 + len(table.indicators)
    sheet.set_column(first_trailing, first_trailing, 20)
    sheet.set_column(first_trailing + 1, first_trailing + 2, 11)
    sheet.set_column(first_trailing + 3, first_trailing + 3, 40)
    sheet.set_row(HEADER_ROWS[1], 60)
    sheet.freeze_panes(FIRST_DATA_ROW, len(FIXED))
    last_col = _header(sheet, table, f)
    last_row = _rows(sheet, table, f)
    _print_setup(sheet, table, last_col, last_row)


def _versions_sheet(book, table: ConsolidatedTable, f: dict) -> None:
    sheet = book.add_worksheet("Phiên bản báo cáo")
    headers = ["STT", "Mã xã", "Xã/phường", "Ngày báo cáo", "Phiên bản", "Nhận lúc (giờ địa phương)",
               "Đúng hạn", "Người báo cáo", "Kênh gửi"]
    for col, width in enumerate((5, 8, 24, 12, 9, 20, 9, 24, 9)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    for col, label in enumerate(headers):
        sheet.write_string(0, col, label, f["header"])
    for row, v in enumerate(included_versions(table), start=1):
        sheet.write_number(row, 0, row, f["text"])
        sheet.write_string(row, 1, v.commune_code, f["text"])
        sheet.write_string(row, 2, v.commune_name, f["text"])
        sheet.write_datetime(row, 3, v.report_date, f["date"])
        sheet.write_number(row, 4, v.version, f["text"])
        sheet.write_string(row, 5, fmt_local(v.received_at, "%d/%m/%Y %H:%M:%S"), f["text"])
        sheet.write_string(row, 6, "Có" if v.on_time else "Không", f["text"])
        sheet.write_string(row, 7, v.reporter, f["text"])
        sheet.write_string(row, 8, v.channel, f["text"])
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)  # 9 columns: one page wide stays legible
    sheet.repeat_rows(0)


def metadata(table: ConsolidatedTable) -> list[tuple[str, str | int]]:
    s = table.summary
    return [("Sự kiện", table.event.name), ("Mã sự kiện", table.event.code),
            ("Ngày số liệu", f"{table.date:%d/%m/%Y}"), ("Thời điểm", table.as_of),
            ("Phạm vi", table.area_name), ("Số xã/phường", len(s.communes)),
            ("Đã báo cáo", s.reported), ("Chưa báo cáo", s.missing),
            ("Trong đó dùng số liệu ngày trước", s.stale),
            ("Thời điểm xuất (giờ địa phương)", fmt_local(table.generated_at, "%d/%m/%Y %H:%M:%S")),
            ("Nguồn", SOURCE)]


def _metadata_sheet(book, table: ConsolidatedTable, f: dict) -> None:
    sheet = book.add_worksheet("Thông tin")
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, 60)
    wrap = f["info"]
    rows = metadata(table)
    for row, (key, value) in enumerate(rows):
        sheet.write_string(row, 0, key, f["key"])
        if isinstance(value, int):
            sheet.write_number(row, 1, value, f["info_number"])
        else:
            sheet.write_string(row, 1, value, wrap)
    sheet.set_portrait()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 1)  # one page
    sheet.print_area(0, 0, len(rows) - 1, 1)


def write_xlsx(table: ConsolidatedTable) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "default_date_format": "dd/mm/yyyy"})
    formats = _formats(book)
    _summary_sheet(book, table, formats)
    _versions_sheet(book, table, formats)
    _metadata_sheet(book, table, formats)
    book.set_properties({"title": table.title, "subject": table.subtitle,
                         "comments": SOURCE})
    book.close()
    return out.getvalue()
