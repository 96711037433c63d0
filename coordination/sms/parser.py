"""Reading a report SMS: `BC [ddmm] CODE VALUE CODE VALUE … [LD reason]`. Pure: no database.

- Keyword `BC` first; codes are the catalog's `sms_code` (2–3 letters); all case-insensitive,
  diacritics typed by a phone keyboard are folded (`Bć` → `BC`).
- Separators: spaces, semicolons, commas. A comma between two digits is a decimal comma
  (`LUA 1,5`); `CODE=VALUE`, `CODE:VALUE` and `CODE12` are accepted too.
- Date right after BC: `0810`, `8/10`, `08-10`, `08.10`, `08/10/2025`; none = today (local).
  Without a year: this year, or last year when the month is still ahead (`3112` sent in January).
- Values are read by the one number parser (numbers.py), as on the form and the API:
  `5.000` is five thousand people, but refused as ambiguous in a figure that may have
  decimals (kg, ha); `1,500` is refused everywhere; `1,5` is one and a half.
- `LD <text>` at the end: the reason for a correction (lowering a figure); the rest of the
  message, as typed, is the reason.
- The first thing that cannot be read stops the parse with `SmsFormatError(code, token)`;
  its hint is the catalogue's message for the code, folded to ASCII (errors.py).
"""
import re
from dataclasses import dataclass
from datetime import date
from typing import Mapping

from ..errors import message
from ..numbers import NumberError, parse_number
from .ascii import fold

KEYWORD = "BC"
REASON = "LD"
RESERVED = {KEYWORD, REASON}
MAX_REASON = 500

_TOKEN = re.compile(r"(?:[^\s;,]|(?<=\d),(?=\d))+")
_CODE_VALUE = re.compile(r"^([A-Z]+)[=:]?(.*)$")
_DDMM = re.compile(r"^(\d{2})(\d{2})$")
_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?$")
MAX_TOKEN = 20  # of what is echoed in a hint


class SmsFormatError(ValueError):
    """The first token that cannot be read, with a stable catalogue code."""

    def __init__(self, code: str, token: str = ""):
        super().__init__(code, token)
        self.code = code
        self.token = token

    @property
    def hint(self) -> str:
        """The catalogue's message naming the token, in ASCII (folded, shortened): the reply."""
        token = fold(self.token)[:MAX_TOKEN]
        if self.code == "not_a_report" and not token:
            return fold(message("not_a_report_blank"))
        text = fold(message(self.code, token=token))
        return text if token in text else f"'{token}': {text}"


@dataclass(frozen=True)
class ParsedValue:
    sms_code: str
    indicator: str
    value: float
    raw: str  # as typed, for the echo


@dataclass(frozen=True)
class ParsedSms:
    day: date | None  # None: today
    values: tuple[ParsedValue, ...]
    reason: str = ""

    @property
    def figures(self) -> dict[str, float]:
        return {v.indicator: v.value for v in self.values}


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(folded upper-case token, token as typed, end offset) in order."""
    return [(fold(m.group()).upper(), m.group(), m.end()) for m in _TOKEN.finditer(text)]


def parse_date(token: str, today: date) -> date:
    match = _DDMM.match(token) or _DATE.match(token)
    if not match:
        raise SmsFormatError("bad_sms_date", token)
    day, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3) if match.re is _DATE else None
    if year_text:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    else:
        year = today.year - 1 if month > today.month + 1 else today.year
    try:
        return date(year, month, day)
    except ValueError:
        raise SmsFormatError("bad_sms_date", token) from None


def parse_value(code: str, token: str, whole: bool = False) -> float:
    """A figure's value by the one number parser; a refusal names the code and the value
    as typed ('CH 1,5'), so the reply says which figure to fix."""
    try:
        return parse_number(token, whole=whole)
    except NumberError as exc:
        raise SmsFormatError(exc.code, f"{code} {token}") from None


def _looks_like_date(token: str) -> bool:
    return bool(_DDMM.match(token) or _DATE.match(token) or token[:1].isdigit())


def parse_sms(text: str, codes: Mapping[str, str], today: date,
              whole: frozenset[str] = frozenset()) -> ParsedSms:
    """`codes`: {SMS code (upper case): indicator code}; `whole`: the indicators that are
    counts (a dot groups thousands there; elsewhere `5.000` is ambiguous)."""
    tokens = _tokens(text or "")
    if not tokens:
        raise SmsFormatError("not_a_report", "")
    first, first_raw, _ = tokens[0]
    if not first.startswith(KEYWORD):
        raise SmsFormatError("not_a_report", first_raw)
    rest = first[len(KEYWORD):].lstrip("=:")
    queue = [(t, raw, end) for t, raw, end in tokens[1:]]
    if rest:  # "BC0810"
        if not rest[:1].isdigit():
            raise SmsFormatError("not_a_report", first_raw)
        queue.insert(0, (rest, rest, tokens[0][2]))
    day = None
    if queue and _looks_like_date(queue[0][0]):
        day = parse_date(queue[0][0], today)
        queue.pop(0)

    values: list[ParsedValue] = []
    seen: set[str] = set()
    reason = ""
    i = 0
    while i < len(queue):
        token, raw, end = queue[i]
        i += 1
        if token == REASON or token.startswith(REASON + "=") or token.startswith(REASON + ":"):
            glued = raw[3:] if len(token) > 2 else ""
            reason = " ".join((glued + " " + text[end:]).split()).strip(" =:;,")
            if not reason:
                raise SmsFormatError("empty_reason", raw)
            reason = reason[:MAX_REASON]
            break
        match = _CODE_VALUE.match(token)
        if not match:
            if token[:1].isdigit():
                raise SmsFormatError("value_without_code", raw)
            raise SmsFormatError("unknown_code", raw)
        code, glued = match.group(1), match.group(2)
        if code not in codes:
            raise SmsFormatError("unknown_code", code if glued else raw)
        if code in seen:
            raise SmsFormatError("repeated_code", code)
        if glued:
            value_token = glued
        elif i < len(queue):
            value_token = queue[i][0]
            if value_token in codes or value_token == REASON:
                raise SmsFormatError("missing_value", code)
            value_token = value_token.lstrip("=:")
            i += 1
        else:
            raise SmsFormatError("missing_value", code)
        value = parse_value(code, value_token, codes[code] in whole)
        values.append(ParsedValue(code, codes[code], value, value_token))
        seen.add(code)
    if not values:
        raise SmsFormatError("empty_sms", "")
    return ParsedSms(day, tuple(values), reason)


def format_sms(values: Mapping[str, float], day: date | None = None) -> str:
    """The SMS for figures keyed by SMS code (used for examples on the card and the form)."""
    parts = [KEYWORD] + ([day.strftime("%d%m")] if day else [])
    for code, value in values.items():
        parts += [code, format_number(value)]
    return " ".join(parts)


def format_number(value: float) -> str:
    """12.0 → '12', 1.5 → '1,5' (no thousands separator: it would read as a decimal)."""
    if value == int(value):
        return str(int(value))
    return f"{value:.6f}".rstrip("0").replace(".", ",")
