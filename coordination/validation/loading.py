"""Reading and checking rules: the shipped CSV, and every admin edit, go through make_rule.

coordination/data/validation_rules.csv: code, kind (formula | jump), severity (error |
warning), expression, threshold, enabled (1 | 0), message, description. A bad row is
refused with RuleError: the row's field, a code of the error catalogue
(`bad_expression` for the expression or a message placeholder, `bad_rule` for the
rest), and a Vietnamese detail. The jump rule watches the indicators of
coordination/data/jump_floors.csv (indicator, floor).
"""
import csv
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..indicators import read_catalog_csv
from .expressions import BOOLEAN, ExpressionError, parse
from .jump import FLOORS_CSV, read_floors_csv
from .messages import check
from .rules import BASELINES, FORMULA, JUMP, JUMP_NUMBERS, JUMP_WORDS, SEVERITIES, Rule, Watched

RULES_CSV = Path(__file__).resolve().parent.parent / "data" / "validation_rules.csv"
CODE = re.compile(r"[a-z][a-z0-9_]{1,63}")


class RuleError(ValueError):
    """A rule an admin cannot save: `field` of the row, error `code`, Vietnamese `detail`."""

    def __init__(self, rule: str, field: str, code: str, detail: str):
        super().__init__(f"{rule}.{field}: {code}: {detail}")
        self.rule, self.field, self.code, self.detail = rule, field, code, detail


ERRORS = {  # for the error catalogue (coordination/errors.py), filled with detail=...
    "bad_expression": "Biểu thức không hợp lệ: {detail}.",
    "bad_rule": "Quy tắc kiểm tra không hợp lệ: {detail}.",
}


def read_rules_csv(path: Path = RULES_CSV, floors_path: Path = FLOORS_CSV,
                   catalog: Iterable[Mapping] | None = None) -> list[Rule]:
    """The rules of a CSV file, every row checked (RuleError names the first bad one).

    catalog: the indicators ({code, label, unit} rows), by default the shipped catalog."""
    catalog = list(read_catalog_csv() if catalog is None else catalog)
    floors = read_floors_csv(floors_path)
    with open(path, encoding="utf-8", newline="") as f:
        rules = [make_rule(row, catalog, floors) for row in csv.DictReader(f)]
    codes = [rule.code for rule in rules]
    for code in codes:
        if codes.count(code) > 1:
            raise RuleError(code, "code", "bad_rule", f"mã '{code}' lặp lại")
    return rules


def make_rule(row: Mapping, catalog: Iterable[Mapping], floors: Mapping[str, float]) -> Rule:
    """One checked rule from a CSV row or an admin's form (strings, or already typed values)."""
    code = str(row.get("code") or "").strip()

    def refuse(field: str, detail: str, error: str = "bad_rule"):
        raise RuleError(code, field, error, detail)

    if not CODE.fullmatch(code):
        refuse("code", "mã quy tắc viết chữ thường không dấu, số, dấu _")
    kind, severity = _text(row, "kind") or FORMULA, _text(row, "severity")
    message, expression = _text(row, "message"), _text(row, "expression")
    if kind not in (FORMULA, JUMP):
        refuse("kind", "loại quy tắc là formula hoặc jump")
    if severity not in SEVERITIES:
        refuse("severity", "mức độ là error (lỗi) hoặc warning (cảnh báo)")
    if not message:
        refuse("message", "cần nội dung thông báo")
    threshold, enabled = _threshold(row.get("threshold"), refuse), _enabled(row.get("enabled"), refuse)
    indicators = {str(_get(r, "code")): r for r in catalog}
    try:
        if kind == FORMULA:
            allowed = {*indicators, *BASELINES, "threshold"}
            names = list(parse(expression, allowed, BOOLEAN).names)
        else:
            allowed, names = set(JUMP_NUMBERS), []
            if expression:
                refuse("expression", "quy tắc jump không có biểu thức (ngưỡng ở cột threshold)")
    except ExpressionError as exc:
        refuse("expression", exc.detail, "bad_expression")
    try:
        names += sorted(check(message, allowed, JUMP_WORDS if kind == JUMP else ()) - set(names))
    except ExpressionError as exc:
        refuse("message", exc.detail, "bad_expression")
    if "threshold" in names and threshold is None:
        refuse("threshold", "biểu thức hoặc thông báo dùng ngưỡng (threshold): cần nhập ngưỡng")
    watched = _watched(floors, indicators, refuse) if kind == JUMP else ()
    if kind == JUMP and not (threshold is not None and threshold > 0):
        refuse("threshold", "ngưỡng của điểm z hiệu chỉnh phải lớn hơn 0 (thường là 3.5)")
    return Rule(code=code, severity=severity, message=message, expression=expression,
                threshold=threshold, enabled=enabled, kind=kind, description=_text(row, "description"),
                needs=frozenset(n for n in names if n in BASELINES),
                figures=tuple(n for n in names if n in indicators), watched=watched)


def _watched(floors: Mapping[str, float], indicators: Mapping, refuse) -> tuple[Watched, ...]:
    for code, floor in floors.items():
        if code not in indicators:
            refuse("watched", f"ngưỡng tuyệt đối cho chỉ tiêu không có trong danh mục: {code}")
        if not (math.isfinite(floor) and floor >= 0):
            refuse("watched", f"ngưỡng tuyệt đối của {code} phải là số không âm")
    return tuple(Watched(code, floor, str(_get(indicators[code], "label")), str(_get(indicators[code], "unit")))
                 for code, floor in floors.items())


def _get(indicator, name: str):
    """A catalog row (dict) or an Indicator of the database: both are accepted."""
    return indicator[name] if isinstance(indicator, Mapping) else getattr(indicator, name)


def _text(row: Mapping, name: str) -> str:
    return str(row.get(name) or "").strip()


def _threshold(value, refuse) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        refuse("threshold", "ngưỡng phải là một số (phần lẻ sau dấu chấm: 1.5)")
    return number


def _enabled(value, refuse) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "1").strip().lower()
    if text not in ("1", "0", "true", "false"):
        refuse("enabled", "bật/tắt là 1 hoặc 0")
    return text in ("1", "true")
