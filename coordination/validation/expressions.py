"""The rules' expression language: tiny, safe, and the same in Python and in the phone.

    people_dead + people_missing + people_injured > population
    households_evacuated > 0 and people_evacuated > households_evacuated * threshold

Grammar (Python's precedence, lowest first): `or`, `and`, `not`, one comparison
(< <= > >= == !=, never chained), + -, * /, unary - +, then a number (digits, an
optional `.digits`), a name, `min(a, b, …)` / `max(a, b, …)` with two or more
arguments, or parentheses. Nothing else: Python's `ast` parses, and a walk over a
whitelist refuses every other node (calls, attributes, subscripts, lambdas,
strings, `**` …). The source is also limited to a whitelist of characters and
plain number literals, so `static/js/rules.js` (a hand-written parser for exactly
this grammar, no eval) accepts the same sources. The walk also checks types:
comparisons take numbers and give a truth value, and/or/not take truth values.

Evaluation works in floats (as JavaScript does, so both sides compute the same
bits). A name absent from the values, or None, makes the result None, "not
applicable": a rule that cannot be computed never fires. Division by zero is not
applicable too. Errors are for authors only, at load or edit time: ExpressionError
(code `bad_expression`) with a Vietnamese detail.
"""
import ast
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

NUMBER, BOOLEAN = "number", "boolean"
FUNCTIONS = {"min": min, "max": max}
MAX_LENGTH = 500  # rules are one line
MAX_NESTING = 30  # parentheses, and depth of the tree: real rules need 5; a stack must not

_CHARACTERS = re.compile(r"[A-Za-z0-9_ .+\-*/<>=!(),]*")
_NUMBER_LITERAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GLUED = re.compile(r"(?<![A-Za-z0-9_])[0-9]+(\.[0-9]*)?[A-Za-z_]")  # 1or, 1e5, 0x1f: refused
_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.Div: None}  # Div: checked for zero
_COMPARISON = {ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
               ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
               ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b}


class ExpressionError(ValueError):
    """An expression outside the language; `detail` is Vietnamese, for the admin page."""
    code = "bad_expression"

    def __init__(self, source: str, detail: str):
        super().__init__(f"{source!r}: {detail}")
        self.source, self.detail = source, detail


@dataclass(frozen=True)
class Expression:
    source: str
    tree: ast.expr
    kind: str                  # NUMBER or BOOLEAN
    names: tuple[str, ...]     # in order of first appearance, functions excluded


class _NotApplicable(Exception):
    pass


def parse(source: str, allowed: Iterable[str] | None = None, kind: str | None = None) -> Expression:
    """Check `source` and return it parsed; `allowed` limits the names, `kind` the result."""
    text = _checked_text(source)
    try:
        with warnings.catch_warnings():  # Python's own doubts (a literal glued to a word) refuse too
            warnings.simplefilter("error")
            tree = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError, Warning):
        raise ExpressionError(source, "sai cú pháp") from None
    found: list[str] = []
    got = _walk(tree, text, found, 1)
    allowed = None if allowed is None else set(allowed)
    for name in found:
        if allowed is not None and name not in allowed:
            raise ExpressionError(source, f"tên '{name}' không có trong danh mục")
    if kind is not None and got != kind:
        raise ExpressionError(source, "phải là một phép so sánh (đúng/sai)" if kind == BOOLEAN
                              else "phải cho ra một số")
    return Expression(source, tree, got, tuple(dict.fromkeys(found)))


def names(source: str) -> set[str]:
    """The names an expression uses (indicator codes, baselines, `threshold`)."""
    return set(parse(source).names)


def evaluate(expression: Expression | str, values: Mapping[str, float | None]) -> bool | float | None:
    """The value of the expression, or None when it is not applicable."""
    if isinstance(expression, str):
        expression = compiled(expression)
    if any(values.get(name) is None for name in expression.names):
        return None
    try:
        return _value(expression.tree, values)
    except _NotApplicable:
        return None


@lru_cache(maxsize=512)
def compiled(source: str, kind: str | None = None) -> Expression:
    """parse() remembered: rules are evaluated on every report, parsed once."""
    return parse(source, kind=kind)


def _checked_text(source: str) -> str:
    if not isinstance(source, str) or not source.strip(" "):
        raise ExpressionError(str(source), "biểu thức trống")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(source[:40] + "…", f"dài quá {MAX_LENGTH} ký tự")
    if not _CHARACTERS.fullmatch(source):
        bad = next(ch for ch in source if not _CHARACTERS.fullmatch(ch))
        raise ExpressionError(source, f"không được dùng ký tự '{bad}'")
    if _GLUED.search(source):
        raise ExpressionError(source, "số chỉ viết bằng chữ số, phần lẻ sau dấu chấm (1.5)")
    level = 0
    for ch in source:
        level += {"(": 1, ")": -1}.get(ch, 0)
        if level > MAX_NESTING:
            raise ExpressionError(source, "lồng quá nhiều dấu ngoặc")
    return source.strip(" ")


def _walk(node: ast.AST, text: str, found: list[str], depth: int) -> str:
    """The node's type (NUMBER or BOOLEAN); anything off the whitelist is refused."""
    if depth > MAX_NESTING:
        raise ExpressionError(text, "biểu thức lồng quá sâu")

    def need(child, want):
        if _walk(child, text, found, depth + 1) != want:
            raise ExpressionError(text, "phép so sánh và + - * / cần số; and/or/not cần đúng/sai")

    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if not _NUMBER_LITERAL.fullmatch(ast.get_source_segment(text, node) or ""):
            raise ExpressionError(text, "số chỉ viết bằng chữ số, phần lẻ sau dấu chấm (1.5)")
        return NUMBER
    if isinstance(node, ast.Name) and _NAME.fullmatch(node.id) and node.id not in FUNCTIONS:
        found.append(node.id)
        return NUMBER
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        for side in (node.left, node.right):
            need(side, NUMBER)
        return NUMBER
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        need(node.operand, NUMBER)
        return NUMBER
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        need(node.operand, BOOLEAN)
        return BOOLEAN
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARISON:
        for side in (node.left, node.comparators[0]):
            need(side, NUMBER)
        return BOOLEAN
    if isinstance(node, ast.BoolOp):
        for operand in node.values:
            need(operand, BOOLEAN)
        return BOOLEAN
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and not node.keywords and len(node.args) >= 2):
        for arg in node.args:
            need(arg, NUMBER)  # a Starred argument is no number: refused here
        return NUMBER
    shown = ast.get_source_segment(text, node) or type(node).__name__
    raise ExpressionError(text, f"không được dùng '{shown}' (chỉ số, tên chỉ tiêu, + - * /, "
                                "so sánh, and/or/not, min/max)")


def _value(node: ast.AST, values: Mapping[str, float]):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(values[node.id])
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, values), _value(node.right, values)
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise _NotApplicable
            return left / right
        return _ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, values)
        return {ast.USub: lambda v: -v, ast.UAdd: lambda v: v, ast.Not: lambda v: not v}[
            type(node.op)](operand)
    if isinstance(node, ast.Compare):
        return _COMPARISON[type(node.ops[0])](_value(node.left, values),
                                              _value(node.comparators[0], values))
    if isinstance(node, ast.BoolOp):  # short-circuits, as JavaScript's && and || do
        want = isinstance(node.op, ast.Or)
        for operand in node.values:
            if _value(operand, values) is want:
                return want
        return not want
    # min/max: the first of equal values wins (matters for -0.0 vs 0.0, as in rules.js)
    return FUNCTIONS[node.func.id](_value(arg, values) for arg in node.args)
