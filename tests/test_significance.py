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


def test_one_seed_is_not_testable_and_says_why():
    one = significance.welch([0.97], [0.98, 0.99])
    assert one.p is None and one.low is None and one.mean == pytest.approx(0.015)
    assert significance.verdict(one, None) == ("not testable (one seed of the baseline: "
                                               "Welch's test needs two on each side)")
    assert "one seed of the variant" in significance.welch([0.98, 0.99], [0.97]).why


def test_seeds_that_agree_on_one_side_still_give_a_welch_test():
    # node budget, SGD: the baseline's three seeds vary, all three of ReLU 10 x 100 collapsed to 11.5%
    a, b = [0.931, 0.9315, 0.93], [0.115, 0.115, 0.115]
    # by hand: mean_a = 0.9308333..., deviations +1/6, +2/3, -5/6 thousandths, so s_a^2 = (1/36 + 4/9 + 25/36)
    # e-6 / 2 = 7/12 e-6; se^2 = s_a^2 / 3 = 7/36 e-6; with s_b = 0, df = se^4 / ((s_a^2/3)^2 / 2) = 2 exactly
    se = math.sqrt(7 / 36 * 1e-6)
    t = (0.115 - 2.7925 / 3) / se  # -1850.13...
    found = significance.welch(a, b)
    assert found.df == pytest.approx(2.0) and found.t == pytest.approx(t) and t == pytest.approx(-1850.13, abs=0.01)
    # Student's t with 2 degrees of freedom has a closed form: P(|T| > |t|) = 1 - |t| / sqrt(2 + t^2)
    assert found.p == pytest.approx(1 - abs(t) / math.sqrt(2 + t * t), rel=1e-6)
    half = 4.302652729749462 * se  # the 97.5% quantile of t with 2 degrees of freedom, from tables
    assert (found.low, found.high) == pytest.approx((found.mean - half, found.mean + half))
    assert significance.verdict(found, 1e-5) == ("worse (every seed of the variant gave one value: "
                                                 "the test rests on the baseline's spread)")
    assert significance.welch(b, a).why.startswith("every seed of the baseline")


def test_seeds_that_all_agree_on_both_sides_are_no_difference_or_not_testable():
    same = significance.welch([0.5, 0.5], [0.5, 0.5, 0.5])
    assert same.identical and same.mean == 0.0 and (same.low, same.high) == (0.0, 0.0) and same.p is None
    assert significance.verdict(same, None) == "no difference (every seed of both gave the same value)"
    apart = significance.welch([0.5, 0.5], [0.6, 0.6])
    assert not apart.identical and apart.p is None and apart.low is None and apart.mean == pytest.approx(0.1)
    assert significance.verdict(apart, None).startswith("not testable (neither side's seeds vary")


def test_mcnemar_counts_only_the_images_one_model_gets_right():
    truth = [0] * 20
    first = [0] * 10 + [0] + [1] * 9    # right on 11
    second = [0] * 10 + [1] + [0] * 9   # right on 19: 9 images only it gets right, 1 only the first
    only_first, only_second, p, identical = significance.mcnemar(truth, first, second)
    assert (only_first, only_second, identical) == (1, 9, False)
    assert p == pytest.approx(2 * (1 + 10) / 2 ** 10)  # two-sided binomial tail, by hand
    # a hand-made table: 2 images only the first gets right, 8 only the second, 5 both, 3 neither
    truth = [1] * 18
    first = [1] * 2 + [0] * 8 + [1] * 5 + [0] * 3
    second = [0] * 2 + [1] * 8 + [1] * 5 + [2] * 3
    # P(X <= 2) for X ~ Binomial(10, 1/2) is (1 + 10 + 45) / 1024; two-sided, doubled: 112 / 1024
    assert significance.mcnemar(truth, first, second) == (2, 8, pytest.approx(112 / 1024), False)
    with pytest.raises(ValueError):
        significance.mcnemar([1], [1, 2], [1, 2])


def test_identical_predictions_are_no_difference_and_no_test():
    same = significance.mcnemar([0, 1, 2, 3], [0, 1, 2, 0], [0, 1, 2, 0])
    assert same == (0, 0, None, True)
    # no image only one model gets right, yet different wrong classes: no difference, not identical
    assert significance.mcnemar([0, 1, 2, 3], [0, 1, 2, 0], [0, 1, 2, 1]) == (0, 0, None, False)
    assert significance.holm([None, 0.01]) == [None, pytest.approx(0.01)]  # joins no adjustment


def test_holm_steps_down_and_keeps_the_order():
    assert significance.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert significance.holm([None, 0.5, 0.4]) == [None, pytest.approx(0.8), pytest.approx(0.8)]
    assert significance.holm([0.9, 0.8]) == [1.0, 1.0]


def test_verdicts_read_the_adjusted_p_value():
    up, down = significance.welch([0.90, 0.91], [0.92, 0.94]), significance.welch([0.92, 0.94], [0.90, 0.91])
    assert significance.verdict(up, 0.001) == "better"
    assert significance.verdict(down, 0.001) == "worse"
    assert significance.verdict(down, 0.001, higher_is_better=False) == "better"  # a loss that fell
    assert significance.verdict(up, 0.2) == "no detectable difference at 5%"


def test_seeds_equal_to_float_precision_are_not_tested():
    tiny = significance.welch([1e-5, 1e-5 + 1e-20, 1e-5], [2e-5, 2e-5, 2e-5 + 1e-20])
    assert tiny.p is None and tiny.mean == pytest.approx(1e-5) and "neither side's seeds vary" in tiny.why
