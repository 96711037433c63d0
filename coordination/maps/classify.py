"""Class breaks for skewed disaster figures: zero is its own class, then natural breaks.

Most communes report 0 or a handful; a few report hundreds. Equal intervals
would paint everything in the first colour, so positive values are split by
Fisher-Jenks natural breaks (or quantiles) from mapclassify.
"""
import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np

ZERO_COLOR = "#edf8e9"
CLASS_COLORS = ["#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]
MISSING_COLOR = "#ffffff"   # drawn hatched, legend "Chưa báo cáo"
OUTSIDE_COLOR = "#d9d9d9"   # communes outside the selected area
MISSING_LABEL = "Chưa báo cáo"
SCHEMES = {"natural": mapclassify.FisherJenks, "quantiles": mapclassify.Quantiles}
SAMPLE = 200  # Fisher-Jenks is O(n²) in pure Python: beyond this, classify quantile samples


@dataclass
class Classes:
    bins: list[float]     # largest value in each positive class
    lows: list[float]     # smallest value seen in each positive class
    colors: list[str]     # colour of each positive class

    def legend(self, fmt=lambda v: f"{v:g}") -> list[tuple[str, str]]:
        """[(colour, label)]: zero class first, then the positive classes."""
        items = [(ZERO_COLOR, "0")]
        for low, high, color in zip(self.lows, self.bins, self.colors):
            items.append((color, fmt(high) if low == high else f"{fmt(low)} – {fmt(high)}"))
        return items


def classify(values, k: int = 5, scheme: str = "natural") -> tuple[Classes, np.ndarray]:
    """Classes and a class index per value: -1 missing (NaN), 0 zero, 1..k positive."""
    values = np.asarray(values, dtype=float)
    index = np.full(values.shape, -1, dtype=int)
    index[values == 0] = 0
    positive = values[values > 0]
    unique = np.unique(positive)
    if unique.size == 0:
        return Classes([], [], []), index
    bins = _breaks(positive, unique, k, scheme)
    mask = values > 0
    index[mask] = np.searchsorted(bins, values[mask], side="left") + 1
    members = [values[index == i + 1] for i in range(len(bins))]
    # Label each class by the values really in it, not by a computed break like 2.98.
    lows = [float(m.min()) for m in members]
    highs = [float(m.max()) for m in members]
    return Classes(highs, lows, _palette(len(bins))), index


def _breaks(positive: np.ndarray, unique: np.ndarray, k: int, scheme: str) -> np.ndarray:
    """Upper bounds of at most k non-empty positive classes, the last one the maximum."""
    if unique.size <= k:  # few distinct values: one class each
        return unique
    sample = positive
    if scheme == "natural" and positive.size > SAMPLE:  # deterministic, keeps min and max
        sample = np.quantile(positive, np.linspace(0, 1, SAMPLE))
    k = min(k, np.unique(sample).size)  # mapclassify refuses more classes than values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bins = np.unique(SCHEMES[scheme](sample, k=k).bins)
    bins[-1] = unique[-1]
    # Ties and sampling can leave a class empty: drop its bound (its range joins the next).
    return bins[np.unique(np.searchsorted(bins, positive, side="left"))]


def _palette(n: int) -> list[str]:
    """n colours spread over the ramp, darkest always last."""
    if n >= len(CLASS_COLORS):
        return CLASS_COLORS[:n]
    picks = np.linspace(0, len(CLASS_COLORS) - 1, n).round().astype(int)
    return [CLASS_COLORS[i] for i in picks]


def colors_for(index: np.ndarray, classes: Classes) -> np.ndarray:
    """Fill colour per class index (missing → MISSING_COLOR)."""
    palette = np.array([MISSING_COLOR, ZERO_COLOR, *classes.colors], dtype=object)
    return palette[index + 1]
