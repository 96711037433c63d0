"""A rule's Vietnamese message, its `{placeholders}` filled.

A placeholder is an arithmetic expression of the rule language, shown in
Vietnamese number format (`vn_number`: 10.416; 1.234,5):
"Tổng số người chết, mất tích, bị thương ({people_dead + people_missing + people_injured})
vượt dân số của xã ({population} người)." A few placeholders are words rather
than numbers (the jump rule's `{label}` and `{unit}`). static/js/rules.js fills
messages the same way, with the same pattern.
"""
import math
import re
from collections.abc import Iterable, Mapping

from ..formatting import vn_number
from .expressions import NUMBER, ExpressionError, compiled, evaluate, parse

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
UNKNOWN = "?"  # a placeholder that cannot be computed (division by zero): the rule still fired


def placeholders(template: str) -> list[str]:
    return [match.strip(" ") for match in PLACEHOLDER.findall(template)]


def check(template: str, allowed: Iterable[str], words: Iterable[str] = ()) -> set[str]:
    """The names the template uses; ExpressionError for a placeholder outside the language."""
    allowed, words = set(allowed), set(words)
    used: set[str] = set()
    for inner in placeholders(template):
        if inner in words:
            continue
        try:
            used.update(parse(inner, allowed, kind=NUMBER).names)
        except ExpressionError as exc:
            raise ExpressionError(template, f"chỗ {{{inner}}}: {exc.detail}") from None
    return used


def fill(template: str, values: Mapping[str, float | None], words: Mapping[str, str] | None = None) -> str:
    words = words or {}

    def one(match: re.Match) -> str:
        inner = match.group(1).strip(" ")
        if inner in words:
            return words[inner]
        value = evaluate(compiled(inner, NUMBER), values)
        return vn_number(value) if value is not None and math.isfinite(value) else UNKNOWN

    return PLACEHOLDER.sub(one, template)
