"""The network zoo, torch-free: the generator is deterministic and covers every cell, and the
analysis (thresholds, gold stars, easy/weird/confusing digits, percentiles, ensembles, late
learners) gives the hand-counted answers on small hand-made tables."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from battleground.core import catalogue, records, zoo
from battleground.core.spec import variant
from battleground.site import png
from battleground.site import zoo_analysis as za
from experiments import network_zoo


def _digest(networks) -> str:
    return hashlib.sha256("\n".join(n.variant.name for n in networks).encode()).hexdigest()[:16]


# --- the generator ------------------------------------------------------------------------------


def test_the_zoo_is_the_same_on_every_call_and_pinned_by_its_names():
    first, second = zoo.generate(), zoo.generate()
    assert [n.variant for n in first] == [n.variant for n in second]
    # The names depend only on the seed and Python's str-seeded random, the same on every machine:
    # a change to the generator that changes the zoo must change this pin (and retrain the zoo).
    assert _digest(first) == "0d6115e518a66532"


def test_the_default_zoo_covers_every_cell_with_the_originals_counts():
    networks = zoo.generate()
    assert len(networks) == 1000 and len({n.variant.name for n in networks}) == 1000
    cells = {}
    for n in networks:
        cells[(n.computation, n.activation)] = cells.get((n.computation, n.activation), 0) + 1
        assert n.variant.family == catalogue.ZOO_COMPUTATIONS[n.computation]
        assert n.variant.kwargs["activation"] == n.activation
    assert set(cells) == {(c, a) for c in catalogue.ZOO_COMPUTATIONS for a in catalogue.ZOO_ACTIVATIONS}
    for (computation, _), count in cells.items():
        assert count == zoo.DEFAULT_COUNTS[computation] // len(catalogue.ZOO_ACTIVATIONS)


def test_a_smaller_zoo_is_the_first_networks_of_each_cell_of_the_full_one():
    full = {(n.computation, n.activation, n.index): n.variant for n in zoo.generate()}
    small = zoo.generate(zoo.scaled_counts(8))
    assert len(small) == 8 * len(catalogue.ZOO_COMPUTATIONS) * len(catalogue.ZOO_ACTIVATIONS)
    assert all(full[(n.computation, n.activation, n.index)] == n.variant for n in small)


def test_another_seed_draws_another_zoo_and_bad_counts_are_named():
    assert _digest(zoo.generate(seed=1)) != _digest(zoo.generate())
    with pytest.raises(ValueError, match="Conv4d"):
        zoo.generate({"Conv4d": 5})
    with pytest.raises(ValueError, match="fewer than"):
        zoo.cell("ResNet", "ReLU", 10_000)


def test_the_generated_networks_stay_within_the_stated_bounds():
    for n in zoo.generate():
        params = n.variant.kwargs
        if n.computation == "Linear":
            assert 1 <= len(params["widths"]) <= 4 and max(params["widths"]) <= 512
        elif n.computation == "ResNet":
            assert 1 <= len(params["channels"]) <= 3 and max(params["channels"]) <= 16
            assert list(params["channels"]) == sorted(params["channels"])
        else:
            assert 1 <= len(params["channels"]) <= 3 and max(params["channels"]) <= 32
            assert params["kernel"] in (3, 5)
            assert ("widths" in params) == n.computation.endswith("ThenLinear")


def test_the_investigation_declares_the_zoo_once_and_basic_with_30_seeds():
    inv = network_zoo.INVESTIGATION
    assert inv.variants[0].name == "Basic" and len(inv.variants) == 1001
    assert inv.seeds_of(inv.variants[0]) == network_zoo.BASIC_SEEDS and len(network_zoo.BASIC_SEEDS) == 30
    assert inv.seeds_of(inv.variants[1]) == inv.seeds
    assert inv.run_count == 1030 and len(inv.tasks()) == 1030
    assert inv.config.epochs == 4


def test_variant_seeds_must_name_a_declared_variant():
    from battleground.core.spec import Investigation

    with pytest.raises(ValueError, match="not one of the variants"):
        Investigation("x", "?", (variant("Basic"),), variant_seeds=(("Basic[x=1]", (1,)),))


def test_a_record_with_a_bad_memory_count_names_the_field():
    record = {"model": {"memory": -1}}
    check, expected = records.FIELD_RANGES["model.memory"]
    assert not check(record["model"]["memory"]) and not check("12") and check(794)
    assert "whole number" in expected


# --- the analysis on hand-made tables -----------------------------------------------------------

ACCURACY = np.array([  # four networks x four epochs
    [0.50, 0.70, 0.90, 0.96],   # a late learner
    [0.85, 0.95, 0.98, 0.99],   # a gold star, 99% after the last epoch
    [0.81, 0.90, 0.97, 0.979],  # not gold: below 98% after the last
    [0.10, 0.10, 0.10, 1.00],   # a late learner, 100% after the last
])


def test_threshold_counts_count_networks_at_or_above_each_mark_per_epoch():
    counts = za.threshold_counts(ACCURACY)
    assert counts.shape == (4, len(za.THRESHOLDS))
    assert counts[0].tolist() == [2, 0, 0, 0, 0]  # 0.85 and 0.81 reach 80%
    assert counts[1].tolist() == [2, 2, 1, 0, 0]  # 0.90 counts as 90% (at or above)
    assert counts[3].tolist() == [4, 4, 4, 2, 1]


def test_gold_stars_and_late_learners():
    assert za.gold_stars(ACCURACY).tolist() == [False, True, False, False]
    assert za.late_learners(ACCURACY).tolist() == [True, False, False, True]


# ten networks x five images; labels 0..4
PREDICTIONS = np.array([
    [0, 7, 2, 3, 1],
    [0, 7, 2, 5, 1],
    [0, 7, 2, 6, 1],
    [0, 7, 2, 7, 1],
    [0, 7, 2, 8, 1],
    [0, 7, 9, 3, 1],
    [0, 7, 2, 5, 1],
    [0, 7, 2, 6, 4],
    [0, 7, 2, 7, 4],
    [0, 7, 2, 8, 4],
])
LABELS = np.array([0, 1, 2, 3, 4])


def test_easy_weird_and_confusing_images_from_a_hand_made_table():
    found = za.verdicts(PREDICTIONS, LABELS)
    assert found.easy.tolist() == [0]  # image 2 has one dissenter
    assert found.weird.tolist() == [1]  # all ten answer 7 for a 1; image 4's 1 is wrong by 70% only
    assert found.confusing.tolist() == [3]  # 3, 5, 6, 7, 8 twice each: no majority
    assert found.votes[3].tolist() == [0, 0, 0, 2, 0, 2, 2, 2, 2, 0]


def test_weird_needs_more_than_90_percent_on_one_wrong_answer():
    nine_of_ten = np.array([[7]] * 9 + [[1]])
    assert za.verdicts(nine_of_ten, np.array([1])).weird.tolist() == []  # 90% is not more than 90%
    split_wrong = np.array([[7]] * 5 + [[8]] * 5)
    found = za.verdicts(split_wrong, np.array([1]))
    assert found.weird.tolist() == [] and found.confusing.tolist() == [0]  # 5 of 10 is no majority


def test_majority_vote_breaks_ties_to_the_smaller_class():
    assert za.majority_vote(np.array([[3, 1], [2, 1], [3, 2], [2, 2]])).tolist() == [2, 1]


def test_ensemble_curves_vote_the_first_k_and_random_k_networks():
    labels = np.array([0, 1, 2])
    table = np.array([[0, 1, 9], [0, 9, 2], [9, 1, 2]])  # each right on two of three images
    # k = 2: the first two disagree on images 1 (1 or 9) and 2 (9 or 2); each tie goes to the
    # smaller class, here the label both times
    assert za.first_k_curve(table, labels) == {1: pytest.approx(2 / 3), 2: pytest.approx(1.0),
                                               3: pytest.approx(1.0)}
    random = za.random_k_curve(table, labels, sizes=(1, 3, 4), draws=5, seed=1)
    assert random == {1: pytest.approx(2 / 3), 3: pytest.approx(1.0)}  # 4 > three networks: left out
    assert za.smallest_k_reaching({1: 0.9, 2: 0.95, 3: 0.99}, 0.95) == 2
    assert za.smallest_k_reaching({1: 0.9}, 0.95) is None


def test_class_accuracy_and_the_best_networks_percentile_per_class():
    labels = np.array([0, 0, 1, 1])
    table = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [1, 1, 0, 1]])
    accuracy = za.class_accuracy(table, labels, classes=3)
    assert accuracy[:, :2].tolist() == [[1.0, 1.0], [0.5, 1.0], [0.0, 0.5]]
    assert np.isnan(accuracy[:, 2]).all()
    assert za.percentiles(accuracy[:, :2], of=1).tolist() == pytest.approx([200 / 3, 100.0])


# --- pictures -----------------------------------------------------------------------------------


def test_a_png_holds_the_pixels_it_was_given():
    pixels = np.arange(28 * 28, dtype=np.uint16).reshape(28, 28).astype(np.uint8)
    data = png.grayscale_png(pixels)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour) == (28, 28, 8, 0)
    length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw = zlib.decompress(data[41:41 + length])
    rows = np.frombuffer(raw, np.uint8).reshape(28, 29)
    assert (rows[:, 0] == 0).all() and (rows[:, 1:] == pixels).all()
    with pytest.raises(ValueError, match="2-D uint8"):
        png.grayscale_png(np.zeros((2, 2, 2), np.uint8))


# --- the page: one scale at a time ----------------------------------------------------------------


def test_runs_on_part_of_the_training_set_are_left_out_once_a_network_trained_as_declared(tmp_path):
    from battleground.core import splits
    from battleground.core.config import DEFAULTS
    from battleground.site import content, zoo_page
    from experiments import discover
    from tests.site_fixtures import write_run

    root = Path(__file__).resolve().parent.parent
    runs = tmp_path / "runs"
    split = splits.for_config(root / "runs", DEFAULTS)
    (runs / split.parent.name).mkdir(parents=True)
    (runs / split.parent.name / split.name).write_bytes(split.read_bytes())
    labels = splits.read(split)
    first, second, third = (zoo.cell("Conv2d", a, 1)[0].variant for a in ("ReLU", "tanh", "SELU"))

    def zoo_view():
        context = content.read_context(root / "site_src", runs, discover(), root / "battleground" / "train" / "models.py")
        return zoo_page.view(context.investigations["network-zoo"], None, runs)

    for v in (first, second):  # a first pass on 10,000 images: shown while nothing else has run
        write_run(runs, "network-zoo", v, 1729, epochs=4, fixed_epochs=True, labels=labels, train_size=10_000)
    write_run(runs, "network-zoo", network_zoo.BASIC, 1729, epochs=4, fixed_epochs=True, labels=labels,
              train_size=10_000)
    made = zoo_view()
    assert sorted(n.name for n in made.networks) == sorted([first.name, second.name]) and len(made.basics) == 1
    assert not any("Left out" in s for s in zoo_page.part_runs(made)["sentences"])

    # one network trained as the zoo declares (every image): the first pass no longer counts with it
    write_run(runs, "network-zoo", third, 1729, epochs=4, fixed_epochs=True, labels=labels)
    made = zoo_view()
    assert [n.name for n in made.networks] == [third.name] and made.basics == []
    assert made.left_out == (2, 1, (10_000,))
    assert ("Left out of this page's tables and charts: 2 networks and 1 Basic seed trained on 10,000 training "
            "images, where those above trained on 60,000.") in zoo_page.part_runs(made)["sentences"]
