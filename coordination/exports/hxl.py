"""HXL-tagged CSV for humanitarian partners: a label row, then a hashtag row.

Tags come from each indicator's `hxl`, with the HXL core dictionary's meaning:
#affected (+killed, +missing, +injured, +hh/+ind) only for people or households,
#reached for people helped, #indicator+num with attributes for houses, points,
hectares, metres and kilograms, #value for VND amounts. An indicator without a
valid tag gets #indicator+num+<code> so no column is left untagged. No BOM: HXL tools read plain UTF-8 and would keep
it in the first label.
"""
import re

from .csv_ import write_rows
from .table import ConsolidatedTable

LEADING = [("Mã xã", "#adm3+code"), ("Xã/phường", "#adm3+name"),
           ("Ngày số liệu", "#date+reported"), ("Tình trạng", "#status+report")]


def tag_of(indicator) -> str:
    tag = (indicator.hxl or "").strip()
    if re.fullmatch(r"#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*", tag, re.I):
        return tag
    attribute = re.sub(r"[^a-z0-9_]", "_", indicator.code.lower())
    return "#indicator+num+" + (attribute if attribute[:1].isalpha() else "x" + attribute)


def write_hxl(table: ConsolidatedTable) -> bytes:
    labels = [label for label, _ in LEADING] + [f"{i.label} ({i.unit})" for i in table.indicators]
    tags = [tag for _, tag in LEADING] + [tag_of(i) for i in table.indicators]
    rows = ([c.code, c.name, c.report_date.isoformat() if c.report_date else None, c.status]
            + [c.figures.get(i.code) for i in table.indicators] for c in table.rows)
    return write_rows([labels, tags, *rows], bom=False).encode("utf-8")
