"""Reading a report SMS: `BC [ddmm] CODE VALUE CODE VALUE … [LD reason]`. Pure: no database.

- Keyword `BC` first; codes are the catalog's `sms_code` (2–3 letters); all case-insensitive,
  diacritics typed by a phone keyboard are folded (`Bć` → `BC`).
- Separators: spaces, semicolons, commas. A comma between two digits is a decimal comma
  (`LUA 1,5`); `CODE=VALUE`, `CODE:VALUE` and `CODE12` are accepted too.
- Date right after BC: `0810`, `8/10`, `08-10`, `08.10`, `08/10/2025`; none = today (local).
  Without a year: this year, or last year when the month is still ahead (`3112` sent in January).
- Values: whole or decimal (comma or point). `5.000`/`1,500` are refused as ambiguous
  (Vietnamese writes 5.000 for five thousand): write `5000` or `1,5`.
- `LD <text>` at the end: the reason for a correction (lowering a figure); the rest of the
  message, as typed, is the reason.
- The first thing that cannot be read stops the parse with `SmsFormatError(code, token)`.
"""
import re
from dataclasses import dataclass
from datetime import date
from typing import Mapping

from .ascii import fold

KEYWORD = "BC"
REASON = "LD"
RESERVED = {KEYWORD, REASON}
MAX_REASON = 500

_TOKEN = re.compile(r"(?:[^\s;,]|(?<=\d),(?=\d))+")
_CODE_VALUE = re.compile(r"^([A-Z]+)[=:]?(.*)$")
_NUMBER = re.compile(r"^\d{1,15}(?:[.,]\d{1,15})?$")
_AMBIGUOUS = re.compile(r"^[1-9]\d{0,2}(?:[.,]\d{3})+$")
_DDMM = re.compile(r"^(\d{2})(\d{2})$")
_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?$")

EXAMPLE = "BC 0810 CH 0 MT 1"
HINTS = {  # ASCII: these go back by SMS
    "not_a_report": "'{token}': tin phai bat dau bang BC. Vi du: " + EXAMPLE,
    "not_a_report_blank": "Tin trong. Tin phai bat dau bang BC. Vi du: " + EXAMPLE,
    "bad_sms_date": "'{token}' khong phai ngay. Viet ddmm (0810) hoac dd/mm, bo trong = hom nay",
    "unknown_code": "'{token}' khong phai ma chi tieu. Xem the huong dan (CH, MT, BT...)",
    "repeated_code": "'{token}' bi lap lai. Moi ma chi ghi 1 lan",
    "missing_value": "Thieu so sau '{token}'. Vi du: {token} 0",
    "bad_value": "'{token}' khong phai so. Viet vd 12 hoac 1,5",
    "ambiguous_number": "'{token}' de nham. Viet 5000 (khong dau ngan cach) hoac 1,5 (so le)",
    "value_without_code": "'{token}' thieu ma chi tieu phia truoc. Vi du: MT 1",
    "empty_sms": "Tin chua co so lieu. Vi du: " + EXAMPLE,
    "empty_reason": "Sau LD can ghi ly do dieu chinh. Vi du: LD dem lai",
}


class SmsFormatError(ValueError):
    """The first token that cannot be read, with a stable code (see HINTS)."""

    def __init__(self, code: str, token: str = ""):
        super().__init__(code, token)
        self.code = code
        self.token = token

    @property
    def hint(self) -> str:
        """ASCII advice naming the token (folded, shortened), for the reply SMS."""
        token = fold(self.token)[:20]
        if self.code == "not_a_report" and not token:
            return HINTS["not_a_report_blank"]
        return HINTS[self.code].format(token=token)


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


def parse_value(token: str) -> float:
    if _AMBIGUOUS.match(token):
        raise SmsFormatError("ambiguous_number", token)
    if not _NUMBER.match(token):
        raise SmsFormatError("bad_value", token)
    return float(token.replace(",", "."))


def _looks_like_date(token: str) -> bool:
    return bool(_DDMM.match(token) or _DATE.match(token) or token[:1].isdigit())


def parse_sms(text: str, codes: Mapping[str, str], today: date) -> ParsedSms:
    """`codes`: {SMS code (upper case): indicator code}."""
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
        values.append(ParsedValue(code, codes[code], parse_value(value_token), value_token))
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
