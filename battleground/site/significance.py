"""Is one variant better than another, or are the seeds just different? The tests a comparison uses.

- Between seeds: the difference of two variants' mean accuracies with a 95% Welch t-interval,
  and Welch's t-test (unequal variances: one variant's seeds may scatter more than the other's).
- Image by image: McNemar's exact test on one seed's two models' test predictions, which are
  paired (the same 2,000 images): only the images exactly one model gets right carry evidence,
  and under "no difference" each of them is a fair coin.
- Many comparisons on one page: Holm's step-down adjustment, which keeps the chance of any false
  "better" at 5% over the whole page without assuming the tests are independent.

The distributions come from scipy; only Holm's few lines of bookkeeping are written here.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Difference:
    """``mean(b) - mean(a)`` with its 95% Welch interval and two-sided p-value (None where a side
    has fewer than two seeds, or the seeds agree to float precision: no interval can be drawn)."""

    mean: float
    low: float | None
    high: float | None
    p: float | None


def welch(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Difference:
    """How much ``b`` (the variant) is above ``a`` (the baseline), over seeds."""
    mean = sum(b) / len(b) - sum(a) / len(a)
    if len(a) < 2 or len(b) < 2 or (max(a) == min(a) and max(b) == min(b)):
        return Difference(mean, None, None, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        result = stats.ttest_ind(b, a, equal_var=False)
        interval = result.confidence_interval(confidence)
    if any("precision loss" in str(w.message).lower() for w in caught):
        return Difference(mean, None, None, None)  # seeds equal to float precision: no spread to test against
    return Difference(mean, float(interval.low), float(interval.high), float(result.pvalue))


def mcnemar(truth: Sequence[int], first: Sequence[int], second: Sequence[int]) -> tuple[int, int, float]:
    """``(only_first_right, only_second_right, p)``: McNemar's exact (binomial) test of two models'
    predictions of the same images."""
    if not len(truth) == len(first) == len(second):
        raise ValueError(f"predictions of {len(first)} and {len(second)} images for {len(truth)} labels")
    only_first = sum(1 for t, x, y in zip(truth, first, second) if x == t and y != t)
    only_second = sum(1 for t, x, y in zip(truth, first, second) if y == t and x != t)
    discordant = only_first + only_second
    p = 1.0 if discordant == 0 else float(stats.binomtest(only_second, discordant, 0.5).pvalue)
    return only_first, only_second, p


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values, in the given order; None (no test) stays None and is not counted."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[i] = running
    return adjusted


def verdict(difference: float, adjusted_p: float | None) -> str:
    """The plain reading of one adjusted test."""
    if adjusted_p is None or math.isnan(adjusted_p):
        return "not testable (fewer than two seeds, or no spread between them)"
    if adjusted_p >= ALPHA:
        return "no detectable difference at 5%"
    return "better" if difference > 0 else "worse"
