"""Two variants that are one function: found from the records' predictions, or from an identity of
the architecture that the model code is checked to keep; and a comparison then draws no test."""

from __future__ import annotations

from pathlib import Path

import pytest

from battleground.core import records
from battleground.core.spec import Investigation, variant
from battleground.site import comparison, equivalence
from battleground.site.context import InvestigationData, Run, Selection
from tests.site_fixtures import make_record

RELU, TANH = variant("SimpleNet2", depth=0, activation="ReLU"), variant("SimpleNet2", depth=0, activation="tanh")
LINEAR_LAST = variant("ConvNet", convs=3, batch_norm=False, activation="ReLU")
CONV_LAST = variant("ConvNet", convs=4, batch_norm=False, activation="ReLU")
CONV_LAST_NORMED = variant("ConvNet", convs=4, batch_norm=True, activation="ReLU")
SEEDS = (1, 2, 3)


def _run(v, seed, predicted, parameters=10_298):
    record = make_record("same-sample", v, seed, epochs=3)
    record["model"]["parameters"] = parameters
    record["predictions"] = records.encode_predictions(predicted[:4], predicted[4:], "uint8")
    return Run(Path(f"{v.name}.seed{seed}.json"), record, v)


def _inv(runs):
    variants = list(dict.fromkeys(r.variant for r in runs))
    return InvestigationData(Investigation("same-sample", "Same?", tuple(variants), seeds=SEEDS), runs, variants)


def test_the_convnet_identity_holds_in_the_model_code():
    # ShapeRule("ConvNet", "convs", {3, 4}): the same parameters in other shapes, the same draws, the same outputs
    torch = pytest.importorskip("torch")  # the rest of this file is the site's, which needs no torch
    from battleground.train.models import ConvNet

    for batch_norm in (False, True):
        torch.manual_seed(7)
        linear = ConvNet(convs=3, batch_norm=batch_norm, input_shape=(2, 14, 14), classes=2)
        torch.manual_seed(7)
        conv = ConvNet(convs=4, batch_norm=batch_norm, input_shape=(2, 14, 14), classes=2)
        pairs = list(zip(linear.parameters(), conv.parameters()))
        assert len(pairs) == len(list(conv.parameters()))
        assert all(a.numel() == b.numel() and torch.equal(a.flatten(), b.flatten()) for a, b in pairs)
        x = torch.randn(5, 2, 14, 14)
        linear.eval(), conv.eval()
        torch.testing.assert_close(linear(x), conv(x), rtol=1e-5, atol=1e-5)


def test_identical_predictions_on_every_seed_are_one_function():
    runs = [_run(v, s, [s % 10] * 10) for v in (RELU, TANH) for s in SEEDS]
    same = equivalence.between(RELU, TANH, _inv(runs))
    assert (same.seeds, same.identical_seeds, same.images, same.most_different) == (3, 3, 10, 0)
    assert "same class for every validation and test input of every seed both ran (3)" in same.why


def test_one_seed_that_differs_on_one_image_is_two_functions():
    runs = [_run(v, s, [s % 10] * 10) for v in (RELU, TANH) for s in SEEDS]
    runs[-1] = _run(TANH, 3, [3] * 9 + [4])
    assert equivalence.between(RELU, TANH, _inv(runs)) is None


def test_the_convnet_pair_is_one_function_where_rounding_parts_some_seeds():
    runs = [_run(LINEAR_LAST, s, [1] * 10) for s in SEEDS]
    runs += [_run(CONV_LAST, 1, [1] * 10), _run(CONV_LAST, 2, [1] * 8 + [0] * 2), _run(CONV_LAST, 3, [1] * 9 + [0])]
    same = equivalence.between(LINEAR_LAST, CONV_LAST, _inv(runs))
    assert same.why == equivalence.SHAPE_RULES[0].why
    assert (same.seeds, same.identical_seeds, same.most_different) == (3, 1, 2)
    # the records must agree: another parameter count means the code no longer builds one network
    runs[-1] = _run(CONV_LAST, 3, [1] * 9 + [0], parameters=12_000)
    assert equivalence.between(LINEAR_LAST, CONV_LAST, _inv(runs)) is None


def test_the_rule_needs_every_other_parameter_equal():
    runs = [_run(LINEAR_LAST, s, [1] * 10) for s in SEEDS] + [_run(CONV_LAST_NORMED, s, [1] * 9 + [0]) for s in SEEDS]
    assert equivalence.between(LINEAR_LAST, CONV_LAST_NORMED, _inv(runs)) is None


def test_a_comparison_with_one_function_draws_no_test_and_says_why():
    runs = [_run(LINEAR_LAST, s, [1] * 10) for s in SEEDS] + [_run(CONV_LAST, s, [1] * 9 + [s % 2]) for s in SEEDS]
    for r in runs:  # seeds that differ, so that Welch's test could be drawn
        r.record["test_accuracy"] = 0.7 + r.record["seed"] / 100 + (0.001 if r.variant == CONV_LAST else 0)
    inv = _inv(runs)
    compare = comparison.CompareDef("convs", "", LINEAR_LAST.name, Selection(variants=(CONV_LAST.name,)), ("test",))
    [row] = comparison.page_rows([compare], inv)["convs"]
    assert row["verdict"] == "the same function as the baseline: no test"
    assert row["difference"].mean == pytest.approx(0.001) and row["difference"].p is None
    assert row["welch_adjusted"] is None and row["mcnemar"] == []
    [(name, note)] = comparison.view(compare, [row])["same_function"]
    assert name == CONV_LAST.name and note.startswith("A convolution whose kernel covers the whole remaining map")
    assert note.endswith("2 of the 3 seeds both ran predict the same class for each of the 10 validation and test "
                         "inputs, and the others differ on at most 1 of them.")
