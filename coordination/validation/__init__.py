"""Figures the province can sign (issue 19): validation rules, as data, run on the server
and, identically, offline in the phone form (static/js/rules.js).

    rules = read_rules_csv()                     # checked: RuleError on a bad row
    evaluate(rules, figures, baselines, ledger_codes, history) -> [Violation]

The server stays the judge; the phone only tells the officer early. Self-contained:
nothing here touches the database. docs/validation.md has the rules and the reasons.
"""
from .expressions import ExpressionError, names, parse
from .jump import is_sudden_jump, modified_z
from .loading import RuleError, make_rule, read_rules_csv
from .rules import Rule, Violation, Watched, evaluate

__all__ = ["ExpressionError", "names", "parse", "is_sudden_jump", "modified_z", "RuleError",
           "make_rule", "read_rules_csv", "Rule", "Violation", "Watched", "evaluate"]
