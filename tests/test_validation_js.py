"""Offline, the phone form says what the server will say: static/js/rules.js against Python.

Real Chromium (Debian's, conftest's `browser`; no app, no database): rules.js is loaded
into a blank page and every case of a shared table is evaluated on both sides. Results
and messages must be equal character for character, numbers bit for bit.
"""
import math
import random
import re
from pathlib import Path

import pytest

from coordination.formatting import vn_number
from coordination.validation import ExpressionError, evaluate, is_sudden_jump, modified_z, parse, read_rules_csv
from coordination.validation.expressions import evaluate as value_of

RULES_JS = Path(__file__).resolve().parent.parent / "static" / "js" / "rules.js"
RULES = read_rules_csv()
SERVED = [rule.as_dict() for rule in RULES]  # what the server will send to the form
STEADY, CALM = [10, 12, 9, 11, 10, 13], [8, 15, 12, 20, 9, 11]


@pytest.fixture(scope="module")
def page(browser):
    context = browser.new_context()
    blank = context.new_page()
    blank.add_script_tag(content=RULES_JS.read_text(encoding="utf-8"))
    yield blank
    context.close()


def exact(value):
    """Equal as the tests mean it: a number by its bits (-0.0 is not 0.0; 3 and 3.0 are one)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("number", repr(float(value)))
    return value


# --- the shared table: reports a commune could send ---------------------------------

def story_cases() -> list[dict]:
    """The stories of test_validation_rules.py, each rule at, above and below its limit."""
    khe = {"population": 10_416, "households": 2_604}
    cases = [
        {"figures": {"people_dead": 10_000, "people_missing": 300, "people_injured": 200}},
        {"figures": {"people_dead": 10_000, "people_missing": 216, "people_injured": 200}},
        {"figures": {"people_evacuated": 50_000, "households_evacuated": 2_605}},
        {"figures": {"people_evacuated": 10_416, "households_evacuated": 2_604}},
        {"figures": {"households_evacuated": 12, "people_evacuated": 8}},
        {"figures": {"households_evacuated": 12, "people_evacuated": 1_200}, "baselines": {}},
        {"figures": {"rice_received_kg": 1_000, "rice_distributed_kg": 1_234.5}},
        {"figures": {"rice_received_kg": 0, "rice_distributed_kg": 5e4, "people_receiving_rice": 2e4},
         "ledger": ["rice_received_kg", "rice_distributed_kg", "people_receiving_rice"]},
        {"figures": {"people_receiving_rice": 20_000.5, "rice_distributed_kg": 0.125}},
        {"figures": {"people_dead": 50_000}, "baselines": {"population": None, "households": 0}},
        {"figures": {"people_dead": "abc", "people_missing": math.nan, "people_injured": True}},
        {"figures": {"people_dead": 50_000}, "baselines": None},
        {"figures": {"people_evacuated": 175},
         "history": {"people_evacuated": {"previous": 65, "own": STEADY, "peers": CALM}}},
        {"figures": {"people_evacuated": 175},
         "history": {"people_evacuated": {"previous": 65, "own": STEADY, "peers": [95, 120, 105, 130, 100]}}},
        {"figures": {"people_dead": 300, "people_missing": 2},
         "history": {"people_dead": {"previous": 0, "own": [], "peers": [0, 0, 1]},
                     "people_missing": {"previous": 0, "own": [0] * 10, "peers": [0] * 30}}},
        {"figures": {"people_evacuated": 5_000.75},
         "history": {"people_evacuated": {"previous": 0.5, "own": [10] * 6, "peers": ["x", None, 3]}}},
    ]
    return [{"figures": {}, "baselines": khe, "ledger": [], "history": None, **case} for case in cases]


def random_cases(count: int, seed: int = 19) -> list[dict]:
    """Reports drawn at random around the limits: zeros, ties, halves, unknown baselines."""
    rng = random.Random(seed)
    codes = ["people_dead", "people_missing", "people_injured", "households_evacuated", "people_evacuated",
             "rice_received_kg", "rice_distributed_kg", "people_receiving_rice", "houses_collapsed"]

    def amount():
        return rng.choice([0, 0, 0, rng.randint(1, 20), rng.randint(1, 3_000), rng.randint(1, 60_000),
                           rng.randint(0, 8_000) / 8, round(rng.uniform(0, 5_000), 2)])

    def increases(n):
        return [rng.choice([0, 0, rng.randint(1, 30), rng.randint(1, 2_000), 10]) for _ in range(n)]

    cases = []
    for _ in range(count):
        figures = {code: amount() for code in rng.sample(codes, rng.randint(0, len(codes)))}
        baselines = {"population": rng.choice([None, 0, 10_416, rng.randint(1, 30_000)]),
                     "households": rng.choice([None, 2_604, rng.randint(1, 8_000)])}
        history = {code: {"previous": rng.choice([0, rng.randint(0, 500)]), "own": increases(rng.randint(0, 12)),
                          "peers": increases(rng.randint(0, 40))}
                   for code in rng.sample(codes, rng.randint(0, 4))}
        cases.append({"figures": figures, "baselines": baselines, "history": rng.choice([None, history]),
                      "ledger": rng.sample(codes[5:8], rng.randint(0, 3))})
    return cases


def server_says(case: dict) -> list[dict]:
    return [v.as_dict() for v in evaluate(RULES, case["figures"], case["baselines"], case["ledger"],
                                          case["history"])]


def phone_says(page, cases: list[dict]) -> list[list[dict]]:
    return page.evaluate("""([rules, cases]) => cases.map(c => ValidationRules.evaluateRules(
        rules, c.figures, c.baselines, c.ledger, c.history))""", [SERVED, cases])


@pytest.mark.browser
def test_the_phone_flags_exactly_what_the_server_flags_in_the_same_words(page):
    cases = story_cases() + random_cases(400)
    expected = [server_says(case) for case in cases]
    got = phone_says(page, cases)
    for case, server, phone in zip(cases, expected, got):
        assert phone == server, case
    fired = {v["rule"] for found in expected for v in found}
    assert fired == {rule.code for rule in RULES}  # the table exercises every rule
    assert sum(not found for found in expected) > 20  # and reports that pass


@pytest.mark.browser
def test_a_rule_switched_off_is_off_on_the_phone_too(page):
    def phone(rules):
        return page.evaluate("""(rules) => ValidationRules.evaluateRules(rules, {people_evacuated: 50000},
            {population: 10416}, [], null).map(v => v.rule)""", rules)

    assert phone(SERVED) == ["evacuated_exceed_population"]
    assert phone([{**rule, "enabled": False} for rule in SERVED]) == []


# --- the language, the numbers and the statistic, case by case ----------------------

def expressions(count: int, seed: int = 43) -> list[str]:
    """Random sources of the grammar, half of them then broken by one edit."""
    rng = random.Random(seed)
    names = ["a", "b", "population", "threshold"]

    def number():
        if rng.random() < 0.1:
            return rng.choice(["007", "1.", "1e3", ".5", "1_0"])  # refused on both sides
        return rng.choice(["0", "00", "1", "2", "10", "0.5", "3.25", "10416", "0.1", "00.5"])

    def num(depth):
        pick = rng.randint(0, 7 if depth < 4 else 1)
        if pick == 0:
            return number()
        if pick == 1:
            return rng.choice(names)
        if pick in (2, 3):
            return f"{num(depth + 1)} {rng.choice('+-*/')} {num(depth + 1)}"
        if pick == 4:
            return f"-{num(depth + 1)}"
        if pick == 5:
            return f"({num(depth + 1)})"
        return f"{rng.choice(['min', 'max'])}({', '.join(num(depth + 1) for _ in range(rng.randint(1, 3)))})"

    def boolean(depth):
        pick = rng.randint(0, 4 if depth < 3 else 0)
        if pick in (0, 1):
            return f"{num(depth + 1)} {rng.choice(['<', '<=', '>', '>=', '==', '!='])} {num(depth + 1)}"
        if pick == 2:
            return f"not {boolean(depth + 1)}"
        if pick == 3:
            return f"({boolean(depth + 1)})"
        return f" {rng.choice(['and', 'or'])} ".join(boolean(depth + 1) for _ in range(rng.randint(2, 3)))

    made = []
    for _ in range(count):
        source = boolean(0) if rng.random() < 0.7 else num(0)
        if rng.random() < 0.5 and source:
            at = rng.randrange(len(source))
            edit = rng.choice([" ", "(", ")", "-", "<", "=", ",", ".", "a", "1", "not ", "", "_"])
            source = source[:at] + edit + source[at + rng.randint(0, 1):]
        made.append(source)
    return made


def python_reads(source: str, values: dict):
    try:
        parsed = parse(source)
    except ExpressionError:
        return {"ok": False}
    return {"ok": True, "kind": parsed.kind, "names": list(parsed.names),
            "value": exact(value_of(parsed, values))}


@pytest.mark.browser
def test_every_expression_parses_and_computes_alike_or_is_refused_alike(page):
    sources = expressions(3_000) + ["1or 2 > 1", "min(a, b,) > 1", "a > 1 > 0", "(" * 31 + "1" + ")" * 31,
                                    "-" * 40 + "1", "True", "a if b else 1", "__import__", "min > 1"]
    rng = random.Random(7)
    tables = [{"a": rng.choice([0, 1, -2.5, 3, None, 10416]), "b": rng.choice([0, 0.125, 7, -0.0]),
               "population": rng.choice([10416, None]), "threshold": 1.5} for _ in sources]
    got = page.evaluate("""([sources, tables]) => sources.map((s, i) => {
        let parsed;
        try { parsed = ValidationRules.parseExpression(s); }
        catch (e) { if (e.code !== 'bad_expression') throw e; return {ok: false}; }
        return {ok: true, kind: parsed.kind, names: parsed.names,
                value: ValidationRules.evaluateExpression(parsed, tables[i])};
    })""", [sources, tables])
    expected = [python_reads(s, t) for s, t in zip(sources, tables)]
    for source, server, phone in zip(sources, expected, got):
        if phone.get("ok"):
            phone["value"] = exact(phone["value"])
        assert phone == server, source
    assert 0.3 < sum(e["ok"] for e in expected) / len(expected) < 0.9  # both accepted and refused


@pytest.mark.browser
def test_numbers_read_the_same_vietnamese_way(page):
    rng = random.Random(11)
    numbers = [0, -0.0, 1, 12, 1234, 10416, 1_000_000, 1234.5, 0.125, 0.375, 2.675, 1.005, -0.001, -1234.565,
               0.1 + 0.2, 1e15 + 0.5, 999.995, 1e20, 1e21, 1.5e22, 123456789.123]
    numbers += [rng.randint(0, 10**7) / 8 for _ in range(300)] + [rng.randint(0, 10**6) / 100 for _ in range(300)]
    numbers += [rng.uniform(-1e6, 1e6) for _ in range(300)] + [rng.randint(0, 10**12) for _ in range(100)]
    got = page.evaluate("(numbers) => numbers.map(ValidationRules.vnNumber)", numbers)
    assert got == [vn_number(n) for n in numbers]


@pytest.mark.browser
def test_the_jump_statistic_is_computed_bit_for_bit_alike(page):
    rng = random.Random(5)
    draws = []
    for _ in range(1_500):
        history = [rng.choice([0, 10, rng.randint(1, 50), rng.randint(1, 5_000), rng.random() * 100])
                   for _ in range(rng.randint(0, 15))]
        peers = [rng.choice([0, rng.randint(1, 200)]) for _ in range(rng.randint(0, 20))]
        draws.append({"x": rng.choice([0, -3, 10, rng.randint(1, 10_000), rng.random() * 500]),
                      "own": history, "peers": peers, "floor": rng.choice([None, 5, 1_000]),
                      "threshold": rng.choice([3.5, 2, 10])})
    got = page.evaluate("""(draws) => draws.map(d => [ValidationRules.modifiedZ(d.x, d.own),
        ValidationRules.isSuddenJump(d.x, d.own, d.peers, d.floor, d.threshold)])""", draws)
    expected = [[modified_z(d["x"], d["own"]), is_sudden_jump(d["x"], d["own"], d["peers"], d["floor"],
                                                              d["threshold"])] for d in draws]
    assert [[exact(z), flag] for z, flag in got] == [[exact(z), flag] for z, flag in expected]
    assert 50 < sum(flag for _, flag in expected) < len(draws) - 50


def test_rules_js_never_evaluates_code():
    source = RULES_JS.read_text(encoding="utf-8")
    assert not re.search(r"\beval\s*\(|\bFunction\s*\(|setTimeout|setInterval|import\s*\(", source)
