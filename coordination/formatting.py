"""How numbers, dates and times read in Vietnamese, for pages, PDF, maps and messages."""
from datetime import date

from .timeutil import fmt_local, iso_local  # noqa: F401  (one import for callers)


def vn_number(value, decimals: int | None = None) -> str:
    """Vietnamese number format: 1.234.567,5 ('.' thousands, ',' decimals)."""
    if value is None or value == "":
        return ""
    number = float(value)
    if decimals is None:
        decimals = 0 if number == int(number) else 2
    text = f"{number:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{number:,.0f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_date(value: date | None) -> str:
    """dd/mm/yyyy, the one date format shown to people."""
    return value.strftime("%d/%m/%Y") if value else ""
