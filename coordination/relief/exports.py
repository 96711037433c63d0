"""Exports of the relief ledger: an XLSX workbook (allocations, deliveries,
distributions, pipeline) and a public-posting PDF per commune (niêm yết công khai)
with totals by village and no personal names.

Spreadsheet text goes through exports/safe.neutralise and the workbook is written
with strings_to_formulas=False, so a village named "=HYPERLINK(…)" stays text.
"""
import io

import xlsxwriter
from fpdf import FPDF
from sqlalchemy import func, select

from ..areas.models import Commune
from ..exports.pdf import FONT_DIR, HEAD, TOTAL
from ..exports.safe import neutralise
from ..extensions import db
from ..formatting import vn_number
from ..timeutil import fmt_local, utcnow
from .models import ReliefAllocation, ReliefDelivery, ReliefDistribution
from .pipeline import FLAGS, Pipeline, compute


def _sheet(book, name: str, headers: list[str], rows, widths, f) -> None:
    sheet = book.add_worksheet(name)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    for col, label in enumerate(headers):
        sheet.write_string(0, col, label, f["header"])
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                sheet.write_blank(r, col, None)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value, f["number"])
            elif hasattr(value, "isoformat"):
                sheet.write_datetime(r, col, value, f["date"])
            else:
                sheet.write_string(r, col, neutralise(str(value)))


def ledger_xlsx(event, pipeline: Pipeline, commune: str | None) -> bytes:
    """The ledger of one item (a commune officer: their commune only) as XLSX bytes."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    f = {"header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                                    "border": 1}),
         "number": book.add_format({"num_format": "#,##0.##"}),
         "date": book.add_format({"num_format": "dd/mm/yyyy"})}
    names = dict(db.session.execute(select(Commune.code, Commune.name)).all())
    item = pipeline.item
    allocations = db.session.scalars(select(ReliefAllocation).where(
        ReliefAllocation.event_id == event.id, ReliefAllocation.item == item)
        .order_by(ReliefAllocation.decision_date, ReliefAllocation.id))
    rows = [(a.decision_no, a.decision_date, a.deadline, line.commune_code,
             names.get(line.commune_code, ""), line.quantity, a.unit)
            for a in allocations for line in a.lines if not commune or line.commune_code == commune]
    _sheet(book, "allocations", ["Số quyết định", "Ngày quyết định", "Hạn giao", "Mã xã",
                                 "Xã/phường", "Số lượng", "Đơn vị"], rows,
           (20, 12, 12, 8, 24, 12, 8), f)

    def narrowed(model):
        query = select(model).where(model.event_id == event.id, model.item == item)
        return query.where(model.commune_code == commune) if commune else query

    rows = [(d.delivered_on, d.commune_code, names.get(d.commune_code, ""), d.quantity,
             d.document_no, d.shortfall_reason, fmt_local(d.confirmed_at))
            for d in db.session.scalars(narrowed(ReliefDelivery).order_by(
                ReliefDelivery.delivered_on, ReliefDelivery.id))]
    _sheet(book, "deliveries", ["Ngày giao", "Mã xã", "Xã/phường", "Số lượng",
                                "Số biên bản giao nhận", "Lý do giao thiếu", "Xã xác nhận lúc"],
           rows, (12, 8, 24, 12, 22, 30, 18), f)
    rows = [(d.distributed_on, d.commune_code, names.get(d.commune_code, ""), d.village,
             d.households, d.people, d.quantity, d.reason)
            for d in db.session.scalars(narrowed(ReliefDistribution).order_by(
                ReliefDistribution.distributed_on, ReliefDistribution.id))]
    _sheet(book, "distributions", ["Ngày phát", "Mã xã", "Xã/phường", "Thôn/bản", "Số hộ",
                                   "Số người", "Số lượng", "Lý do phát vượt"],
           rows, (12, 8, 24, 22, 9, 9, 12, 30), f)
    rows = [(c.code, c.name, c.allocated, c.delivered, c.distributed, c.remaining, c.people,
             c.households, c.kg_per_person, c.days_since_delivery,
             ", ".join(FLAGS[x] for x in c.flags)) for c in pipeline.communes]
    t = pipeline.totals
    rows.append(("", "Tổng cộng", t["allocated"], t["delivered"], t["distributed"],
                 t["remaining"], t["people"], t["households"], None, None, ""))
    _sheet(book, "pipeline", ["Mã xã", "Xã/phường", f"Phân bổ ({pipeline.unit})", "Đã giao",
                              "Đã phát", "Còn tại xã", "Số người", "Số hộ",
                              f"{pipeline.unit}/người", "Số ngày từ lần giao cuối", "Cảnh báo"],
           rows, (8, 24, 12, 12, 12, 12, 10, 10, 10, 12, 40), f)
    book.set_properties({"title": f"Hàng cứu trợ {pipeline.item_label} · {event.name}"})
    book.close()
    return out.getvalue()


def village_totals(event, commune: str, item: str) -> list[tuple]:
    """(village, batches, households, people, quantity, first day, last day) per village."""
    return db.session.execute(
        select(ReliefDistribution.village, func.count(), func.sum(ReliefDistribution.households),
               func.sum(ReliefDistribution.people), func.sum(ReliefDistribution.quantity),
               func.min(ReliefDistribution.distributed_on),
               func.max(ReliefDistribution.distributed_on))
        .where(ReliefDistribution.event_id == event.id, ReliefDistribution.commune_code == commune,
               ReliefDistribution.item == item)
        .group_by(ReliefDistribution.village).order_by(ReliefDistribution.village)).all()


def posting_pdf(event, commune: Commune, item: str) -> bytes:
    """The public notice of a commune: what it received and handed out, by village.

    Only totals: no names of people or households are stored, so none can leak.
    """
    from ..timeutil import local_today

    pipeline = compute(event, item, local_today(), [commune.code])
    line = pipeline.communes[0] if pipeline.communes else None
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    title = f"CÔNG KHAI TIẾP NHẬN VÀ CẤP PHÁT {pipeline.item_label.upper()} CỨU TRỢ"
    pdf.set_title(title)
    pdf.set_creator("PCTT&TKCN")
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, f"UBND {commune.name.upper()}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, f"{event.name}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    unit = pipeline.unit
    decisions = db.session.execute(
        select(ReliefAllocation.decision_no, ReliefAllocation.decision_date)
        .where(ReliefAllocation.event_id == event.id, ReliefAllocation.item == item)
        .order_by(ReliefAllocation.decision_date)).all()
    facts = [("Căn cứ quyết định", ", ".join(f"{no} ngày {d:%d/%m/%Y}" for no, d in decisions) or "—"),
             ("Số được phân bổ", f"{vn_number(line.allocated if line else 0)} {unit}"),
             ("Số đã tiếp nhận", f"{vn_number(line.delivered if line else 0)} {unit}"),
             ("Số đã cấp phát đến người dân", f"{vn_number(line.distributed if line else 0)} {unit}"),
             ("Số còn lại tại xã", f"{vn_number(line.remaining if line else 0)} {unit}")]
    with pdf.table(col_widths=(70, 110), text_align=("LEFT", "LEFT"), line_height=6,
                   first_row_as_headings=False) as table:
        for key, value in facts:
            table.row([key, value])
    pdf.ln(5)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, "Kết quả cấp phát theo thôn, bản", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    villages = village_totals(event, commune.code, item)
    with pdf.table(col_widths=(10, 52, 22, 18, 20, 28, 30), line_height=5.5, headings_style=HEAD,
                   text_align=("CENTER", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT", "CENTER")) as t:
        t.row(["STT", "Thôn/bản", "Số lần phát", "Số hộ", "Số người", f"Số lượng ({unit})",
               "Ngày phát"])
        for n, (village, batches, households, people, quantity, first, last) in enumerate(villages, 1):
            days = f"{first:%d/%m}" if first == last else f"{first:%d/%m}–{last:%d/%m}"
            t.row([str(n), village, str(batches), vn_number(households), vn_number(people),
                   vn_number(quantity), days])
        t.row(["", "Tổng cộng", str(sum(v[1] for v in villages)),
               vn_number(sum(v[2] for v in villages)), vn_number(sum(v[3] for v in villages)),
               vn_number(sum(v[4] for v in villages)), ""], style=TOTAL)
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4, "Mọi thắc mắc về việc cấp phát, đề nghị liên hệ UBND xã/phường. "
                   f"Số liệu lập lúc {fmt_local(utcnow())}.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
