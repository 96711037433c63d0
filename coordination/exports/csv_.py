"""CSV for spreadsheets and scripts: UTF-8 with BOM (Excel then reads Vietnamese),
one row per commune, indicator codes as headers. No total row: a tool summing
the column would count it twice; the totals are in the XLSX, PDF and API.
"""
import csv
import io

from .safe import neutralise
from .table import ConsolidatedTable, number

BOM = "\ufeff"
LEADING = ["commune_code", "commune_name", "status", "report_date", "version"]


def csv_text(value) -> str:
    """A cell: numbers as plain numbers (2, 1.5), text neutralised, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(number(value))
    return neutralise(str(value))


def write_rows(rows, bom: bool = True) -> str:
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([csv_text(v) for v in row] for row in rows)
    return out.getvalue()


def commune_rows(table: ConsolidatedTable):
    codes = [i.code for i in table.indicators]
    for c in table.rows:
        yield ([c.code, c.name, c.status, c.report_date.isoformat() if c.report_date else None,
                c.version] + [c.figures.get(code) for code in codes] + [c.note])


def write_csv(table: ConsolidatedTable) -> bytes:
    header = LEADING + [i.code for i in table.indicators] + ["note"]
    return write_rows([header, *commune_rows(table)]).encode("utf-8")
