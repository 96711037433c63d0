"""CSV in two dialects, both RFC 4180 with every text field quoted.

- `csv` for scripts and tools: UTF-8 with BOM (Excel then reads Vietnamese), comma
  separator, decimal point, indicator codes as headers, one row per commune.
- `csv-vi` for Excel / LibreOffice on a Vietnamese-locale desktop, where the list
  separator is ";" and the decimal separator ",": semicolons, decimal commas,
  Vietnamese headers ("Nhà bị ngập (cái)"), dates dd/mm/yyyy, UTF-8 with BOM.

Numbers are written bare (never quoted, never grouped) so both open as numbers;
text is always quoted, so a note holding ";", "," or '"' stays one field.
No total row: a tool summing the column would count it twice; the totals are in
the XLSX, PDF and API.
"""
from .safe import DANGEROUS_START, neutralise
from .table import ConsolidatedTable, number, status_label

BOM = "\ufeff"
LEADING = ["commune_code", "commune_name", "status", "report_date", "version"]
LEADING_VI = ["Mã xã", "Xã/phường", "Tình trạng", "Ngày số liệu", "Phiên bản"]


def csv_field(value, decimal: str = ".") -> str:
    """One field: numbers bare (2, 1.5 or 1,5), text neutralised and quoted, nothing empty."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(number(value))
        return text.replace(".", decimal) if decimal != "." else text
    return '"' + neutralise(str(value)).replace('"', '""') + '"'


def write_rows(rows, bom: bool = True, separator: str = ",", decimal: str = ".") -> str:
    """Rows as CSV text with CRLF line ends. The common types are inlined (the long table
    writes millions of fields); anything else goes through `csv_field`."""
    lines = []
    for row in rows:
        fields = []
        put = fields.append
        for v in row:
            kind = v.__class__
            if v is None:
                put("")
            elif kind is str:
                if v.startswith(DANGEROUS_START):
                    v = "'" + v
                put('"' + (v.replace('"', '""') if '"' in v else v) + '"')
            elif kind is float:
                text = str(int(v)) if v.is_integer() else repr(v)
                put(text if decimal == "." else text.replace(".", decimal))
            elif kind is int:
                put(str(v))
            else:
                put(csv_field(v, decimal))
        lines.append(separator.join(fields))
    return (BOM if bom else "") + "".join(line + "\r\n" for line in lines)


def commune_rows(table: ConsolidatedTable):
    codes = [i.code for i in table.indicators]
    for c in table.rows:
        yield ([c.code, c.name, c.status, c.report_date.isoformat() if c.report_date else None,
                c.version] + [c.figures.get(code) for code in codes] + [c.note])


def write_csv(table: ConsolidatedTable) -> bytes:
    header = LEADING + [i.code for i in table.indicators] + ["note"]
    return write_rows([header, *commune_rows(table)]).encode("utf-8")


def write_csv_vi(table: ConsolidatedTable) -> bytes:
    header = LEADING_VI + [f"{i.label} ({i.unit})" for i in table.indicators] + ["Ghi chú"]
    codes = [i.code for i in table.indicators]
    rows = ([c.code, c.name, status_label(c),
             c.report_date.strftime("%d/%m/%Y") if c.report_date else None, c.version]
            + [c.figures.get(code) for code in codes] + [c.note] for c in table.rows)
    return write_rows([header, *rows], separator=";", decimal=",").encode("utf-8")
