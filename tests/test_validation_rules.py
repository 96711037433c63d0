"""Figures the province can sign (issue 19): the rules a commune's report is checked against.

Pure and fast: no database, no app. The rules are the shipped CSV's.
"""
import csv
import math
import re
from pathlib import Path

import pytest

from coordination.indicators import read_catalog_csv
from coordination.validation import (ExpressionError, RuleError, evaluate, is_sudden_jump, make_rule,
                                     modified_z, names, parse, read_rules_csv)
from coordination.validation.expressions import evaluate as value_of
from coordination.validation.jump import FLOORS_CSV, read_floors_csv
from coordination.validation.loading import RULES_CSV

ROOT = Path(__file__).resolve().parent.parent
RULES = read_rules_csv()
CATALOG = read_catalog_csv()
ALLOWED = {row["code"] for row in CATALOG} | {"population", "households", "threshold"}
THAT_KHE = {"population": 10_416, "households": 2_604}
STEADY = [10, 12, 9, 11, 10, 13]                  # people evacuated per day, before today
CALM_PEERS = [8, 15, 12, 20, 9, 11]               # the other communes' increases today


def violations(figures, baselines=THAT_KHE, ledger=(), history=None, rules=RULES) -> dict:
    return {v.rule: v for v in evaluate(rules, figures, baselines, ledger, history)}


def rule_row(code) -> dict:
    return next(rule for rule in RULES if rule.code == code).as_row()


def edited(rule_code, **changes):
    return make_rule({**rule_row(rule_code), **changes}, CATALOG, read_floors_csv())


# --- the rules fire above their limit, not at it ------------------------------------

def test_more_casualties_than_inhabitants_is_an_error_naming_the_three_figures():
    found = violations({"people_dead": 10_000, "people_missing": 300, "people_injured": 200})
    v = found["casualties_exceed_population"]
    assert v.severity == "error"
    assert v.figures == ("people_dead", "people_missing", "people_injured")
    assert v.message == ("Tổng số người chết, mất tích, bị thương (10.500) vượt dân số của xã "
                         "(10.416 người).")


def test_casualties_equal_to_the_population_pass():
    found = violations({"people_dead": 10_000, "people_missing": 216, "people_injured": 200})
    assert "casualties_exceed_population" not in found


def test_fifty_thousand_evacuated_from_a_commune_of_ten_thousand_is_an_error():
    assert violations({"people_evacuated": 50_000})["evacuated_exceed_population"].message == (
        "Số người phải sơ tán, di dời (50.000) vượt dân số của xã (10.416 người).")
    assert "evacuated_exceed_population" not in violations({"people_evacuated": 10_416})


def test_evacuating_more_households_than_the_commune_has_is_an_error():
    found = violations({"households_evacuated": 2_605, "people_evacuated": 9_000})
    assert found["evacuated_households_exceed"].figures == ("households_evacuated",)
    assert found["evacuated_households_exceed"].message == (
        "Số hộ phải sơ tán, di dời (2.605) vượt số hộ của xã (2.604 hộ).")
    assert "evacuated_households_exceed" not in violations({"households_evacuated": 2_604,
                                                            "people_evacuated": 9_000})


def test_fewer_evacuated_people_than_households_is_only_a_warning():
    v = violations({"households_evacuated": 12, "people_evacuated": 8})["people_fewer_than_households"]
    assert v.severity == "warning"
    assert v.message == ("Số người phải sơ tán, di dời (8) ít hơn số hộ phải sơ tán (12 hộ): "
                         "mỗi hộ sơ tán cần có ít nhất 1 người.")
    assert "people_fewer_than_households" not in violations({"households_evacuated": 12,
                                                             "people_evacuated": 12})


def test_an_extra_digit_in_evacuated_people_is_questioned_even_without_a_population():
    found = violations({"households_evacuated": 12, "people_evacuated": 1_200}, baselines={})
    assert found["people_per_household_high"].severity == "warning"
    assert "people_per_household_high" not in violations({"households_evacuated": 12,
                                                          "people_evacuated": 120})


def test_typed_rice_cannot_be_handed_out_beyond_what_arrived():
    v = violations({"rice_received_kg": 1_000, "rice_distributed_kg": 1_234.5})[
        "rice_distributed_exceeds_received"]
    assert v.message == "Gạo đã phát (1.234,5 kg) nhiều hơn gạo đã nhận (1.000 kg)."
    assert "rice_distributed_exceeds_received" not in violations(
        {"rice_received_kg": 1_234.5, "rice_distributed_kg": 1_234.5})


def test_rice_taken_from_the_relief_ledger_is_left_to_the_ledger():
    ledger = {"rice_received_kg", "rice_distributed_kg", "people_receiving_rice"}
    figures = {"rice_received_kg": 0, "rice_distributed_kg": 50_000, "people_receiving_rice": 20_000,
               "people_dead": 20_000}
    assert set(violations(figures)) >= {"rice_distributed_exceeds_received",
                                        "rice_recipients_exceed_population"}
    assert set(violations(figures, ledger=ledger)) == {"casualties_exceed_population"}


@pytest.mark.parametrize("population", [None, 0, -5, "10416", math.nan, "absent"])
def test_an_unknown_population_disables_only_the_rules_that_need_it(population):
    baselines = {"households": 2_604} if population == "absent" else {"population": population,
                                                                     "households": 2_604}
    found = violations({"people_dead": 50_000, "people_evacuated": 50_000, "households_evacuated": 5_000},
                       baselines=baselines)
    assert set(found) == {"evacuated_households_exceed"}


def test_unknown_baselines_never_block_a_report():
    found = violations({"people_dead": 50_000, "households_evacuated": 5_000,
                        "people_evacuated": 10_000}, baselines=None)
    assert found == {}


def test_a_figure_not_reported_counts_as_zero():
    v = violations({"people_dead": 11_000})["casualties_exceed_population"]
    assert v.message.startswith("Tổng số người chết, mất tích, bị thương (11.000) vượt")


@pytest.mark.parametrize("typed", ["abc", math.nan, math.inf, True])
def test_a_figure_that_is_not_a_number_disables_its_rules_rather_than_raising(typed):
    assert "casualties_exceed_population" not in violations({"people_dead": typed,
                                                             "people_missing": 20_000})


def test_an_admin_can_switch_a_rule_off():
    rules = [edited("evacuated_exceed_population", enabled="0")]
    assert violations({"people_evacuated": 50_000}, rules=rules) == {}


def test_an_admin_can_raise_a_threshold():
    figures = {"households_evacuated": 10, "people_evacuated": 150}
    assert "people_per_household_high" in violations(figures)
    assert violations(figures, rules=[edited("people_per_household_high", threshold="20")]) == {}


# --- the expression language --------------------------------------------------------

@pytest.mark.parametrize("source", [
    "__import__('os')", "__import__(os) > 0", "people_dead.real > 0", "open(population) > 0",
    "people_dead[0] > 1", "(lambda: 1)() > 0", "population ** 2 > 1", "people_dead if population else 1",
    "True", "people_dead > 1 > 0", "people_dead + (population > 1) > 0", "not people_dead",
    "min(people_dead) > 0", "max(people_dead, population, key=1) > 0", "people_dead > 1e3",
    "people_dead > 0x10", "people_dead > 1_000", "people_dead > .5", "people_dead > 007",
    "people_dead in population", "people_dead is population", "people_dead", "secret > 1",
    "people_dead > 1; import os", "people_dead > 1 # x", "", "  ", "'1' > '0'", "[1] > 0",
    "people_dead > 1or 1 > 0", "people_dead > " + "(" * 31 + "1" + ")" * 31,
    "people_dead > " + "-" * 40 + "1", "people_dead >\n1", "người_chết > 1", "min > 1",
])
def test_anything_outside_the_language_is_refused_with_bad_expression(source):
    with pytest.raises(ExpressionError) as refused:
        parse(source, ALLOWED, "boolean")
    assert refused.value.code == "bad_expression" and refused.value.detail


def test_names_lists_the_figures_baselines_and_threshold_an_expression_uses():
    assert names("max(people_dead, people_missing) + 1 > population * threshold") == {
        "people_dead", "people_missing", "population", "threshold"}


@pytest.mark.parametrize("source", [
    "1 + 2 * 3 == 7", "-2 * 3 < -5", "not 1 > 2 and 2 > 1", "min(3, 1, 2) == 1", "max(3, 1, 2,) == 3",
    "7 / 2 == 3.5", "1 > 2 or 2 > 1", "(1 + 2) * 3 == 9", "00 == 0", "1 - -1 == 2", "0.1 + 0.2 != 0.3"])
def test_arithmetic_reads_as_in_python(source):
    assert value_of(source, {}) is True


def test_a_missing_name_or_a_division_by_zero_is_not_applicable_never_an_error():
    assert value_of("people_dead > population", {"people_dead": 3}) is None
    assert value_of("people_dead > population", {"people_dead": 3, "population": None}) is None
    assert value_of("people_dead / households > 1", {"people_dead": 3, "households": 0}) is None
    assert value_of("households > 0 and people_dead / households > 1",
                    {"people_dead": 3, "households": 0}) is False


@pytest.mark.parametrize("field, changes", [
    ("expression", {"expression": "__import__('os')"}),
    ("expression", {"expression": "people_dead + people_missing"}),
    ("message", {"message": "Vượt dân số ({population.real})."}),
    ("message", {"message": "Vượt ({secret})."}),
    ("threshold", {"expression": "people_evacuated > population * threshold", "threshold": ""}),
    ("threshold", {"threshold": "nhiều"}),
    ("severity", {"severity": "fatal"}),
    ("kind", {"kind": "python"}),
    ("code", {"code": "Có dấu"}),
    ("enabled", {"enabled": "có"}),
])
def test_an_admin_edit_that_would_break_a_rule_is_refused_naming_the_field(field, changes):
    with pytest.raises(RuleError) as refused:
        edited("evacuated_exceed_population", **changes)
    assert refused.value.field == field
    assert refused.value.code == ("bad_expression" if field in ("expression", "message") else "bad_rule")


def test_the_jump_rule_needs_a_positive_threshold_and_floors_of_known_indicators(tmp_path):
    with pytest.raises(RuleError) as refused:
        edited("sudden_jump", threshold="0")
    assert refused.value.field == "threshold"
    floors = tmp_path / "floors.csv"
    floors.write_text("indicator,floor\npeople_dead,5\nboats_lost,3\n", encoding="utf-8")
    with pytest.raises(RuleError) as refused:
        read_rules_csv(floors_path=floors)
    assert refused.value.field == "watched" and "boats_lost" in refused.value.detail


def test_two_rules_with_one_code_are_refused(tmp_path):
    text = RULES_CSV.read_text(encoding="utf-8")
    doubled = tmp_path / "rules.csv"
    doubled.write_text(text + text.splitlines()[1] + "\n", encoding="utf-8")
    with pytest.raises(RuleError) as refused:
        read_rules_csv(doubled)
    assert refused.value.code == "bad_rule" and refused.value.field == "code"


# --- sudden jumps -------------------------------------------------------------------

def test_a_quiet_commune_with_one_real_increase_is_not_flagged():
    quiet = [0] * 10
    assert not is_sudden_jump(300, quiet, [0] * 40 + [5, 10], floor=1_000)  # people evacuated
    assert not is_sudden_jump(1, quiet, [0] * 60, floor=5)                  # one death
    history = {"people_evacuated": {"previous": 0, "own": quiet, "peers": CALM_PEERS}}
    assert "sudden_jump" not in violations({"people_evacuated": 300}, history=history)


def test_a_tenfold_jump_in_a_steady_series_is_flagged_and_named():
    assert is_sudden_jump(110, STEADY, CALM_PEERS, floor=1_000)
    history = {"people_evacuated": {"previous": 65, "own": STEADY, "peers": CALM_PEERS}}
    v = violations({"people_evacuated": 175, "households_evacuated": 40}, history=history)["sudden_jump"]
    assert v.severity == "warning" and v.figures == ("people_evacuated",)
    assert v.message == ("Số người phải sơ tán, di dời: tăng 110 người so với báo cáo trước "
                         "(từ 65 lên 175), cao bất thường so với mức tăng thường ngày. "
                         "Đề nghị kiểm tra lại số liệu.")


def test_a_jump_the_whole_district_shares_on_the_same_day_is_not_flagged():
    assert not is_sudden_jump(110, STEADY, [95, 120, 105, 130, 100, 110], floor=1_000)


def test_a_jump_in_line_with_its_own_history_is_not_flagged_even_if_peers_are_calm():
    assert not is_sudden_jump(110, [90, 130, 100, 120, 115, 95], CALM_PEERS, floor=1_000)


def test_with_little_history_a_jump_must_pass_the_floor_and_stand_out_from_peers():
    short = [40, 0, 0, 60, 0]  # two non-zero days only
    peers = [100, 150, 120, 90, 130, 110]
    assert is_sudden_jump(1_500, short, peers, floor=1_000)
    assert not is_sudden_jump(900, short, peers, floor=1_000)
    assert not is_sudden_jump(1_500, short, [1_400, 1_600, 1_500, 1_300, 1_700], floor=1_000)


def test_a_first_report_of_three_hundred_deaths_is_questioned_and_three_are_not():
    history = {"people_dead": {"previous": 0, "own": [], "peers": [0, 0, 1]}}
    assert violations({"people_dead": 300}, history=history)["sudden_jump"].figures == ("people_dead",)
    assert "sudden_jump" not in violations({"people_dead": 3}, history=history)


def test_the_modified_z_score_is_iglewicz_hoaglins_and_falls_back_when_mad_is_zero():
    assert modified_z(105, STEADY) == pytest.approx(0.6745 * (105 - 10.5) / 1.0)
    # more than half the days equal: MAD = 0, the mean absolute deviation takes over
    assert modified_z(100, [10, 10, 10, 10, 12]) == pytest.approx((100 - 10) / (1.253314 * 0.4))
    assert modified_z(10, [10] * 6) == 0.0 and modified_z(11, [10] * 6) is None
    assert modified_z(5, []) is None


def test_a_constant_history_leaves_a_jump_to_the_floor():
    assert not is_sudden_jump(11, [10] * 6, CALM_PEERS, floor=1_000)
    assert is_sudden_jump(5_000, [10] * 6, [], floor=1_000)
    assert not is_sudden_jump(10, [10] * 6, [], floor=5)  # the usual increase itself


@pytest.mark.parametrize("increase", [0, -50, math.nan])
def test_no_increase_and_corrections_downwards_are_never_jumps(increase):
    assert not is_sudden_jump(increase, STEADY, CALM_PEERS, floor=0)


def test_the_jump_rule_judges_only_typed_reported_figures_with_history():
    history = {"people_dead": {"previous": 0, "own": [], "peers": []},
               "people_receiving_rice": {"previous": 0, "own": [], "peers": []}}
    assert violations({"people_receiving_rice": 9_000}, history=history)["sudden_jump"]
    assert violations({"people_receiving_rice": 9_000}, ledger={"people_receiving_rice"},
                      history=history) == {}
    assert "sudden_jump" not in violations({"people_dead": 300})                     # no history sent
    assert "sudden_jump" not in violations({"people_injured": 300}, history=history)  # none for it


def test_an_admin_can_make_the_jump_rule_less_sensitive():
    history = {"people_evacuated": {"previous": 65, "own": STEADY, "peers": CALM_PEERS}}
    rules = [edited("sudden_jump", threshold="100")]
    assert violations({"people_evacuated": 175}, rules=rules, history=history) == {}


# --- the data files and the docs do not drift ---------------------------------------

def test_the_shipped_rules_are_the_ones_issue_19_asks_for():
    severity = {rule.code: rule.severity for rule in RULES}
    assert severity == {
        "casualties_exceed_population": "error", "evacuated_exceed_population": "error",
        "evacuated_households_exceed": "error", "people_fewer_than_households": "warning",
        "people_per_household_high": "warning", "rice_distributed_exceeds_received": "error",
        "rice_recipients_exceed_population": "error", "sudden_jump": "warning"}
    assert all(rule.enabled for rule in RULES)


def test_every_whole_number_indicator_has_a_floor_and_only_they_do():
    whole = {row["code"] for row in CATALOG if row["whole_number"]}
    assert set(read_floors_csv()) == whole


def test_the_docs_list_every_rule_and_every_floor_as_shipped():
    docs = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `(\w+)` \| ([\d.]+) \|", docs, re.M))
    with open(FLOORS_CSV, encoding="utf-8", newline="") as f:
        shipped = {row["indicator"]: row["floor"] for row in csv.DictReader(f)}
    assert {code: float(v.replace(".", "")) for code, v in documented.items()} == \
        {code: float(v) for code, v in shipped.items()}
    for rule in RULES:
        assert f"`{rule.code}`" in docs
