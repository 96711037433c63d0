"""Validation rules as data (coordination/data/validation_rules.csv) and their evaluation.

A rule is either a `formula` (a truth-valued expression of the rule language over
figures, baselines and its editable `threshold`: it fires when true) or the one
`jump` rule (today's increase of each watched indicator against the commune's
history and the day's peers, coordination/validation/jump.py).

What "not reported" means, in the way of DHIS2's missing-value strategies:
- figures are the commune's picture after the report (typed, and carried from
  earlier reports); a figure never reported is 0 (no damage recorded);
- a baseline (population, households of the commune) that is unknown, 0 or not a
  number disables every rule that names it: it never blocks a report;
- a figure that is not a number disables the rules that name it;
- a figure taken from the relief ledger (`ledger_codes`) disables every rule that
  names it: rules judge what people type; the ledger has its own flags.
A rule never raises at evaluation: what it cannot compute, it does not report.
Rules are read and checked by loading.py; static/js/rules.js evaluates the same
rules (Rule.as_dict) to the same violations.
"""
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .expressions import BOOLEAN, compiled
from .expressions import evaluate as evaluate_expression
from .jump import is_sudden_jump
from .messages import fill

BASELINES = ("population", "households")
SEVERITIES = ("error", "warning")
FORMULA, JUMP = "formula", "jump"
JUMP_NUMBERS = ("increase", "previous", "current", "floor", "threshold")  # a jump message's names
JUMP_WORDS = ("label", "unit")


@dataclass(frozen=True)
class Watched:
    """An indicator the jump rule watches: its absolute floor, and words for the message."""
    indicator: str
    floor: float
    label: str
    unit: str


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    message: str
    expression: str = ""               # kind formula only
    threshold: float | None = None
    enabled: bool = True
    needs: frozenset[str] = frozenset()  # baselines it cannot run without
    kind: str = FORMULA
    description: str = ""
    figures: tuple[str, ...] = ()      # indicator codes it names (API fields figures.<code>)
    watched: tuple[Watched, ...] = ()  # kind jump only

    def as_dict(self) -> dict:
        """What the phone form needs to run the rule offline (static/js/rules.js)."""
        made = {"code": self.code, "kind": self.kind, "severity": self.severity,
                "threshold": self.threshold, "enabled": self.enabled, "message": self.message}
        if self.kind == JUMP:
            made["watched"] = [{"indicator": w.indicator, "floor": w.floor, "label": w.label,
                                "unit": w.unit} for w in self.watched]
        else:
            made.update(expression=self.expression, figures=list(self.figures), needs=sorted(self.needs))
        return made

    def as_row(self) -> dict:
        """The CSV row (for an edit: make_rule({**rule.as_row(), "threshold": "2"}, ...))."""
        return {"code": self.code, "kind": self.kind, "severity": self.severity,
                "expression": self.expression, "enabled": "1" if self.enabled else "0",
                "threshold": "" if self.threshold is None else repr(self.threshold),
                "message": self.message, "description": self.description}


@dataclass(frozen=True)
class Violation:
    rule: str
    severity: str
    figures: tuple[str, ...]
    message: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "figures": list(self.figures),
                "message": self.message}


def evaluate(rules: Iterable[Rule], figures: Mapping[str, float] | None,
             baselines: Mapping[str, float | None] | None, ledger_codes: Iterable[str] = (),
             history: Mapping[str, Mapping] | None = None) -> list[Violation]:
    """The violations of the enabled rules, in rule order.

    history (for the jump rule; without it the rule does not run): {indicator: {"previous":
    cumulative figure of the latest earlier date, "own": the commune's earlier daily increases,
    "peers": the other communes' increases of the same day}}; an indicator without an entry
    is not checked.
    """
    ledger, figures, baselines = set(ledger_codes or ()), figures or {}, baselines or {}
    found: list[Violation] = []
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.kind == JUMP:
            found += _jumps(rule, figures, ledger, history)
        elif not ledger & set(rule.figures):
            values = {"threshold": rule.threshold,
                      **{name: _baseline(baselines.get(name)) for name in BASELINES},
                      **{code: _figure(figures.get(code)) for code in rule.figures}}
            if evaluate_expression(compiled(rule.expression, BOOLEAN), values) is True:
                found.append(Violation(rule.code, rule.severity, rule.figures, fill(rule.message, values)))
    return found


def _jumps(rule: Rule, figures: Mapping, ledger: set[str], history: Mapping | None) -> list[Violation]:
    found = []
    for watched in rule.watched if history is not None else ():
        past, raw = history.get(watched.indicator), figures.get(watched.indicator)
        if watched.indicator in ledger or not isinstance(past, Mapping) or raw is None:
            continue  # not typed, no history sent, or not in the picture: nothing to judge
        current, previous = _figure(raw), _figure(past.get("previous"))
        if current is None or previous is None:
            continue
        increase = current - previous
        if is_sudden_jump(increase, _numbers(past.get("own")), _numbers(past.get("peers")),
                          watched.floor, rule.threshold):
            values = {"increase": increase, "previous": previous, "current": current,
                      "floor": watched.floor, "threshold": rule.threshold}
            text = fill(rule.message, values, {"label": watched.label, "unit": watched.unit})
            found.append(Violation(rule.code, rule.severity, (watched.indicator,), text))
    return found


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _figure(value) -> float | None:
    """A figure's value: absent or blank is 0; anything but a number is not applicable."""
    if value is None:
        return 0.0
    return float(value) if _is_number(value) else None


def _baseline(value) -> float | None:
    return float(value) if _is_number(value) and value > 0 else None


def _numbers(values) -> list[float]:
    return [float(v) for v in values if _is_number(v)] if isinstance(values, (list, tuple)) else []

