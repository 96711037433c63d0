"""The SMS card as a one-page A4 PDF (fpdf2, DejaVu Sans embedded for Vietnamese)."""
from pathlib import Path

import matplotlib
from fpdf import FPDF

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
RULES = [
    "Ngày viết ddmm (0810 = 08/10) hoặc dd/mm; bỏ trống = hôm nay.",
    "Số lũy kế từ đầu đợt, như biểu mẫu. Chỉ ghi chỉ tiêu có số; không ghi = giữ nguyên.",
    "Số lẻ dùng dấu phẩy: 1,5. Không viết dấu ngăn cách hàng nghìn: 5000, không viết 5.000.",
    "Giảm số đã báo: thêm ở cuối tin LD và lý do, ví dụ: LD dem lai.",
    "Mỗi tin có một tin trả lời: \"Da nhan ...\" là đã nhận; \"Loi: ...\" chỉ chỗ sai và cách sửa.",
    "Chỉ gửi từ số điện thoại đã đăng ký của cán bộ xã.",
]


def write_card_pdf(commune_name: str, number: str, example: str,
                   groups: list[tuple[str, list]]) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("Mono", "", str(FONT_DIR / "DejaVuSansMono.ttf"))
    pdf.set_title(f"Hướng dẫn nhắn tin báo cáo - {commune_name}")
    pdf.add_page()
    pdf.set_margins(12, 10, 12)
    pdf.set_xy(12, 10)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 8, "Hướng dẫn nhắn tin báo cáo", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 6, commune_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, "Khi không vào được mạng, soạn tin KHÔNG DẤU gửi số:",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 10, number or "(chưa cấu hình số tổng đài)", new_x="LMARGIN", new_y="NEXT")
    for label, text in (("Cú pháp", "BC [ngay] MA SO MA SO ... [LD ly do]"),
                        ("Ví dụ theo báo cáo gần nhất của xã", example)):
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Mono", "", 11)
        pdf.set_fill_color(241, 243, 245)
        pdf.multi_cell(0, 6, text, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("DejaVu", "", 9)
    for rule in RULES:
        pdf.multi_cell(0, 4.6, "• " + rule, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _codes(pdf, groups)
    return bytes(pdf.output())


def _codes(pdf: FPDF, groups: list[tuple[str, list]]) -> None:
    """The code table in two columns, groups kept whole."""
    rows = []
    for group, items in groups:
        rows.append(("group", group, ""))
        rows += [("code", i.sms_code, f"{i.label} ({i.unit})") for i in items]
    half = (len(rows) + 1) // 2
    top, width, line = pdf.get_y(), (pdf.w - 24 - 4) / 2, 6.4
    for column, chunk in enumerate((rows[:half], rows[half:])):
        x = 12 + column * (width + 4)
        pdf.set_xy(x, top)
        for kind, code, label in chunk:
            pdf.set_x(x)
            if kind == "group":
                pdf.set_font("DejaVu", "B", 10)
                pdf.set_fill_color(233, 236, 239)
                pdf.cell(width, line, code, fill=True, new_x="LEFT", new_y="NEXT")
                continue
            pdf.set_font("Mono", "", 11)
            pdf.cell(12, line, code)
            pdf.set_font("DejaVu", "", 8.5)
            text = label
            while pdf.get_string_width(text) > width - 13 and len(text) > 4:
                text = text[:-2].rstrip() + "…"
            pdf.cell(width - 12, line, text, new_x="LEFT", new_y="NEXT")
