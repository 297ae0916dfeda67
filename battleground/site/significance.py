"""Is one variant better than another, or are the seeds just different? The tests a comparison uses.

- Between seeds: the difference of two variants' mean accuracies with a 95% Welch t-interval,
  and Welch's t-test (unequal variances: one variant's seeds may scatter more than the other's).
- Image by image: McNemar's exact test on one seed's two models' test predictions, which are
  paired (the same 2,000 images): only the images exactly one model gets right carry evidence,
  and under "no difference" each of them is a fair coin.
- Many comparisons on one page: Holm's step-down adjustment, which keeps the chance of any false
  "better" at 5% over the whole page without assuming the tests are independent.

At the edges: one seed on a side is not testable (no spread to estimate); seeds that agree on one
side only still give a defined Welch test (the other side's spread); seeds that all agree on both
sides give no difference where the values are equal, and nothing to judge by where they are not;
two models with no image that only one of them gets right show no difference on McNemar's test.

The distributions come from scipy; Welch's statistic and Holm's bookkeeping are written here.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import NamedTuple, Sequence

from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Difference:
    """``mean(b) - mean(a)`` with its 95% Welch interval and two-sided p-value.

    ``p`` is None where no test is drawn, and ``why`` says why (one seed on a side; neither side's
    seeds vary); ``identical`` marks the one such case that is still an answer: every seed of both
    gave the same value, so there is no difference. Where only one side's seeds vary, the test is
    drawn and ``why`` says so (the spread comes from that side alone)."""

    mean: float
    low: float | None
    high: float | None
    p: float | None
    why: str | None = None
    identical: bool = False
    t: float | None = None  # Welch's statistic and its degrees of freedom, where a test is drawn
    df: float | None = None


def _varies(values: Sequence[float]) -> bool:
    """Whether seeds differ by more than float noise: records keep six significant digits, so two
    values a billionth apart are one value written twice."""
    return max(values) - min(values) > 1e-9 * max(1.0, max(abs(v) for v in values))


def welch(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Difference:
    """How much ``b`` (the variant) is above ``a`` (the baseline), over seeds: Welch's t from the
    formulas, its distribution from scipy.

    t = (mean_b - mean_a) / se, se^2 = s_a^2/n_a + s_b^2/n_b, and the Welch-Satterthwaite degrees of
    freedom df = se^4 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)). Where one side's seeds all
    agree (s_a = 0) this is still defined: se^2 = s_b^2/n_b and df = n_b - 1, a one-sample t-test of
    ``b`` against ``a``'s value."""
    mean = statistics.fmean(b) - statistics.fmean(a)
    if len(a) < 2 or len(b) < 2:
        side = "the baseline" if len(a) < 2 else "the variant"
        return Difference(mean, None, None, None, f"one seed of {side}: Welch's test needs two on each side")
    a_varies, b_varies = _varies(a), _varies(b)
    if not a_varies and not b_varies:
        if abs(mean) <= 1e-9 * max(1.0, abs(statistics.fmean(a))):
            return Difference(0.0, 0.0, 0.0, None, "every seed of both gave the same value", identical=True)
        return Difference(mean, None, None, None, "neither side's seeds vary: no spread to judge the difference by")
    # statistics.variance sums exactly, so seeds that all agree give 0, not scipy's "precision loss"
    share_a = statistics.variance(a) / len(a) if a_varies else 0.0
    share_b = statistics.variance(b) / len(b) if b_varies else 0.0
    se = math.sqrt(share_a + share_b)
    df = (share_a + share_b) ** 2 / ((share_a ** 2 / (len(a) - 1) if share_a else 0.0)
                                     + (share_b ** 2 / (len(b) - 1) if share_b else 0.0))
    t = mean / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    why = None
    if not (a_varies and b_varies):
        constant, spread = ("baseline", "variant") if not a_varies else ("variant", "baseline")
        why = f"every seed of the {constant} gave one value: the test rests on the {spread}'s spread"
    return Difference(mean, mean - half, mean + half, p, why, t=t, df=df)


class McNemar(NamedTuple):
    """McNemar's exact test of two models' predictions of the same images."""

    only_first: int  # images only the first model gets right
    only_second: int
    p: float | None  # None where no image is right for one model only: nothing to test, no difference
    identical: bool  # the two models predict the same class for every image


def mcnemar(truth: Sequence[int], first: Sequence[int], second: Sequence[int]) -> McNemar:
    """McNemar's exact (binomial) test: under "no difference" each image exactly one model gets
    right is a fair coin's toss. With no such image there is no coin to toss: ``p`` is None (the
    test can never reject, so it joins no Holm adjustment) and the reading is "no difference"."""
    if not len(truth) == len(first) == len(second):
        raise ValueError(f"predictions of {len(first)} and {len(second)} images for {len(truth)} labels")
    only_first = sum(1 for t, x, y in zip(truth, first, second) if x == t and y != t)
    only_second = sum(1 for t, x, y in zip(truth, first, second) if y == t and x != t)
    discordant = only_first + only_second
    p = None if discordant == 0 else float(stats.binomtest(only_second, discordant, 0.5).pvalue)
    return McNemar(only_first, only_second, p, all(x == y for x, y in zip(first, second)))


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values, in the given order; None (no test) stays None and is not counted."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[i] = running
    return adjusted


def verdict(difference: Difference, adjusted_p: float | None, higher_is_better: bool = True) -> str:
    """The plain reading of one adjusted Welch test, with why where there is none."""
    if difference.identical:
        return f"no difference ({difference.why})"
    if adjusted_p is None or math.isnan(adjusted_p):
        return f"not testable ({difference.why or 'no test'})"
    if adjusted_p >= ALPHA:
        reading = "no detectable difference at 5%"
    else:
        reading = "better" if (difference.mean > 0) == higher_is_better else "worse"
    return f"{reading} ({difference.why})" if difference.why else reading
