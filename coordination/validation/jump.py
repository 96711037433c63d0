"""The sudden-jump rule: is today's increase of a figure a slip of the thumb?

A commune's figures are cumulative, so a slip shows as one day's increase far
above the usual ones. The usual is measured twice, robustly (a median and the
median absolute deviation, which one earlier slip cannot drag along):
against the commune's own earlier daily increases, and against the increases
other communes of the same event reported that day. A warning needs both: a
storm that floods the whole district raises every commune's figures at once,
and that is no slip.

Damage is zero-inflated: most communes report no new dead on most days. Zero
increases are left out of both references (and negative ones, which are
corrections), or a quiet commune's first real increase would stand out against
a wall of zeros on every report. A reference needs MIN_HISTORY non-zero
increases to say anything; with fewer, an absolute floor per indicator
(coordination/data/jump_floors.csv) decides instead: the increase must be
above it. docs/validation.md gives the rule, the floors and the reasons.
static/js/rules.js implements the same functions, operation for operation.
"""
import csv
import math
from pathlib import Path

FLOORS_CSV = Path(__file__).resolve().parent.parent / "data" / "jump_floors.csv"
THRESHOLD = 3.5        # Iglewicz & Hoaglin's cut-off for the modified z-score
MIN_HISTORY = 5        # non-zero increases a reference needs before it can judge
MAD_SCALE = 0.6745     # MAD / 0.6745 estimates the standard deviation of a normal law
MEAN_AD_SCALE = 1.253314  # sqrt(pi/2): mean absolute deviation × this, the same for MAD = 0


def modified_z(x: float, history: list[float]) -> float | None:
    """How far x stands above the history's median, in robust standard deviations.

    0.6745·(x − median)/MAD (Iglewicz–Hoaglin). When more than half the history
    is the same value the MAD is 0: the mean absolute deviation takes its place,
    (x − median)/(1.253314·meanAD). When every value is the same there is no
    spread at all: 0 if x is that value, else None (the history cannot judge).
    """
    if not history:
        return None
    values = sorted(float(v) for v in history)
    centre = _median(values)
    deviations = sorted(abs(v - centre) for v in values)
    mad = _median(deviations)
    if mad > 0:
        return MAD_SCALE * (x - centre) / mad
    mean_ad = _sum(deviations) / len(deviations)
    if mean_ad > 0:
        return (x - centre) / (MEAN_AD_SCALE * mean_ad)
    return 0.0 if x == centre else None


def is_sudden_jump(increase: float, own_earlier_increases: list[float],
                   same_day_other_increases: list[float], floor: float | None,
                   threshold: float = THRESHOLD) -> bool:
    """True when today's increase deserves a warning (see the module docstring).

    Each reference (the commune's earlier increases, the other communes' increases
    today) says "outlier", "not an outlier", or nothing when it holds fewer than
    MIN_HISTORY non-zero increases or no spread. One "not an outlier" clears the
    increase; a reference that says nothing leaves it to the floor.
    """
    if not increase > 0:
        return False
    verdicts = [_verdict(increase, ref, threshold)
                for ref in (own_earlier_increases, same_day_other_increases)]
    if False in verdicts:
        return False
    if None in verdicts:
        return floor is not None and increase > floor
    return True


def read_floors_csv(path: Path = FLOORS_CSV) -> dict[str, float]:
    """{indicator code: floor}, in the file's order (the order warnings are listed in)."""
    with open(path, encoding="utf-8", newline="") as f:
        return {row["indicator"].strip(): _float(row["floor"]) for row in csv.DictReader(f)}


def _float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan  # refused, with the indicator named, when the rules are loaded


def _verdict(x: float, reference: list[float], threshold: float) -> bool | None:
    increases = [float(v) for v in reference if v > 0]
    if len(increases) < MIN_HISTORY:
        return None
    z = modified_z(x, increases)
    if z is None:  # a constant history: below or at it is usual, above it says nothing
        return None if x > increases[0] else False
    return z > threshold


def _median(ordered: list[float]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _sum(values: list[float]) -> float:
    total = 0.0  # left to right, as rules.js adds (Python 3.12's sum() compensates)
    for v in values:
        total += v
    return total
