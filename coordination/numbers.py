"""The one reader of numbers people type: forms, the API, SMS, the relief ledger, incidents.

Vietnamese writes thousands with a dot and decimals with a comma (1.234,5), and an
officer copies figures from paper as written. One rule for every entry point:

- `1.200`, `1.234.567`, `5 000` are thousands where the figure is a count (people,
  houses: `whole`); `12,5` and `1.234,5` have a decimal comma.
- In a figure that may have decimals (ha, kg, m³), `5.000` could be five (a decimal
  point, as an English keyboard or a spreadsheet writes it) or five thousand: it is
  refused as `ambiguous_number` with a hint, never guessed. `1.234.567` can only be
  thousands and `12.5` (not three digits after the point) only a decimal.
- `1,500` is refused everywhere as ambiguous: a decimal comma (1,5) to a Vietnamese
  reader, one thousand five hundred to an English one.
- JSON numbers are taken as they are. Text with an exponent, a sign, `nan` or `inf`
  is not a number a person types.

Errors are catalogue codes (`not_a_number`, `ambiguous_number`, `negative`, `too_large`,
`not_whole_number`); `token` is what was typed, for the hint.
"""
import math
import re

from .errors import Problems

MAX_VALUE = 1e12

_GROUPED = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")  # 1.200, 1.234.567, 1.234,5
_ONE_DOT_GROUP = re.compile(r"^[1-9]\d{0,2}\.\d{3}$")       # 5.000: thousands or a decimal
_COMMA_GROUP = re.compile(r"^[1-9]\d{0,2}(,\d{3})+$")        # 1,500 and 1,234,567
_PLAIN = re.compile(r"^\d+([.,]\d+)?$")                      # 1200, 12,5, 12.5
_SIGNED = re.compile(r"^-?\d+([.,]\d+)?$")                   # coordinates: -12,5
_SPACES = re.compile(r"[\s\u00a0\u202f]")                    # 5 000 (also no-break spaces)


class NumberError(ValueError):
    def __init__(self, code: str, token: str = ""):
        super().__init__(code, token)
        self.code = code
        self.token = token


def _from_text(text: str, whole: bool, grouped: bool, signed: bool) -> float:
    token = _SPACES.sub("", text)
    if not token:
        raise NumberError("not_a_number", text)
    if grouped and _GROUPED.match(token):
        if not whole and _ONE_DOT_GROUP.match(token):
            raise NumberError("ambiguous_number", token)
        return float(token.replace(".", "").replace(",", "."))
    if grouped and _COMMA_GROUP.match(token):
        raise NumberError("ambiguous_number", token)
    if token.startswith("-") and not signed and _PLAIN.match(token[1:]):
        raise NumberError("negative", token)
    if not (_SIGNED if signed else _PLAIN).match(token):
        raise NumberError("not_a_number", token)
    return float(token.replace(",", "."))


def parse_number(value, *, whole: bool, maximum: float = MAX_VALUE, grouped: bool = True,
                 signed: bool = False) -> float:
    """The number `value` means (see the module docstring), or NumberError.

    `whole`: a count (a fraction is `not_whole_number`, and a dot groups thousands).
    `grouped=False`: dots never group thousands (coordinates: 21.853 is a decimal).
    `signed`: negative values are allowed (coordinates), else `negative`.
    """
    token = value if isinstance(value, str) else repr(value)
    if isinstance(value, bool) or value is None:
        raise NumberError("not_a_number", str(value))
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        number = _from_text(value.strip(), whole, grouped, signed)
    else:
        raise NumberError("not_a_number", str(value)[:20])
    if not math.isfinite(number):
        raise NumberError("not_a_number", token)
    if number < 0 and not signed:
        raise NumberError("negative", token)
    if abs(number) > maximum:
        raise NumberError("too_large", token)
    if whole and number != int(number):
        raise NumberError("not_whole_number", token)
    return number


def blank(value) -> bool:
    """Nothing typed: a figure left empty (None, "" or spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def read_number(problems: Problems, field: str, value, **rules) -> float | None:
    """parse_number, its error recorded on `field` (with the typed token for the hint)."""
    try:
        return parse_number(value, **rules)
    except NumberError as exc:
        problems.add(field, exc.code, token=exc.token)
        return None
