"""The comparison's statistics against values worked out independently: by hand, or from the
formulas with mpmath's incomplete beta function instead of scipy's distributions."""

from __future__ import annotations

import math

import mpmath
import pytest

from battleground.site import significance


def _welch_by_formula(a, b):
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    se2 = var_a / len(a) + var_b / len(b)
    t = (mean_b - mean_a) / math.sqrt(se2)
    df = se2 ** 2 / ((var_a / len(a)) ** 2 / (len(a) - 1) + (var_b / len(b)) ** 2 / (len(b) - 1))
    p = float(mpmath.betainc(df / 2, 0.5, 0, df / (df + t * t), regularized=True))  # two-sided Student t
    return mean_b - mean_a, t, df, p, math.sqrt(se2)


def test_welch_matches_the_formula():
    a, b = [0.9712, 0.9740, 0.9725], [0.9801, 0.9779, 0.9820]
    mean, t, df, p, se = _welch_by_formula(a, b)
    found = significance.welch(a, b)
    assert found.mean == pytest.approx(mean) and found.p == pytest.approx(p, rel=1e-6)
    # the interval is mean ± t*·se, with t* the 97.5% quantile of Student's t with df degrees
    half = (found.high - found.low) / 2
    tail = float(mpmath.betainc(df / 2, 0.5, 0, df / (df + (half / se) ** 2), regularized=True))
    assert (found.low + found.high) / 2 == pytest.approx(mean) and tail == pytest.approx(0.05, rel=1e-6)


def test_welch_says_nothing_with_one_seed_or_no_spread():
    assert significance.welch([0.97], [0.98, 0.99]).p is None
    assert significance.welch([0.5, 0.5], [0.6, 0.6]).low is None


def test_mcnemar_counts_only_the_images_one_model_gets_right():
    truth = [0] * 20
    first = [0] * 10 + [0] + [1] * 9    # right on 11
    second = [0] * 10 + [1] + [0] * 9   # right on 19: 9 images only it gets right, 1 only the first
    only_first, only_second, p = significance.mcnemar(truth, first, second)
    assert (only_first, only_second) == (1, 9)
    assert p == pytest.approx(2 * (1 + 10) / 2 ** 10)  # two-sided binomial tail, by hand
    assert significance.mcnemar([1, 2], [1, 2], [1, 2])[2] == 1.0
    with pytest.raises(ValueError):
        significance.mcnemar([1], [1, 2], [1, 2])


def test_holm_steps_down_and_keeps_the_order():
    assert significance.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert significance.holm([None, 0.5, 0.4]) == [None, pytest.approx(0.8), pytest.approx(0.8)]
    assert significance.holm([0.9, 0.8]) == [1.0, 1.0]


def test_verdicts_read_the_adjusted_p_value():
    assert significance.verdict(0.01, 0.001) == "better"
    assert significance.verdict(-0.01, 0.001) == "worse"
    assert significance.verdict(0.01, 0.2) == "no detectable difference at 5%"
    assert significance.verdict(0.01, None).startswith("not testable")


def test_seeds_equal_to_float_precision_are_not_tested():
    tiny = significance.welch([1e-5, 1e-5 + 1e-20, 1e-5], [2e-5, 2e-5, 2e-5 + 1e-20])
    assert tiny.p is None and tiny.mean == pytest.approx(1e-5)
