"""Training recipes, problems and the new families, end to end: an experiment module the test
writes is trained by `battleground run` with Adam, StepLR and He initialisation, and its records
hold the right metrics and per-image predictions; the same seed gives the same record, a run
killed mid-way under StepLR resumes to the uninterrupted record, and a declaration that names
something the catalogue lacks is one line naming the module."""

from __future__ import annotations

import copy
import inspect
import textwrap

import numpy as np
import pytest
import torch

import experiments
from battleground.core import catalogue, records, spec
from battleground.core.config import DEFAULTS
from battleground.core.records import decode_classes, encode_classes
from battleground.core.spec import Task, variant
from battleground.train import checkpoint, data, loop, models, problems
from battleground.train.cli import main

CPU = torch.device("cpu")
RECIPE = dict(lr=0.01, optimizer="Adam", schedule="StepLR", step_size=1, gamma=0.5, init="kaiming", zero_bias=True)

MODULE = '''
"""A throwaway investigation the test suite trains."""
from battleground.core.config import DEFAULTS
from battleground.core.spec import Investigation, variant

INVESTIGATION = Investigation(
    name="{name}",
    question="Do the new families train with a recipe?",
    variants=(
        variant("ResidualMLP", width=32, blocks=2),
        variant("Conv1dNet", channels=8),
        variant("Conv3dNet", channels=4),
        variant("SiameseNet", branch="ConvNet", problem="digit-pairs", aux_weight=1.0, lr=0.002),
    ),
    seeds=(1729,),
    config=DEFAULTS.replace(train_size=2_000, epochs=2, lr=0.01, optimizer="Adam", schedule="StepLR", step_size=1,
                            gamma=0.5, init="kaiming", zero_bias=True),
)
'''


def _write_module(folder, name, source):
    folder.mkdir(exist_ok=True)
    (folder / f"{name.replace('-', '_')}.py").write_text(textwrap.dedent(source))


def _without_timings(record: dict) -> dict:
    stripped = {k: v for k, v in record.items() if k not in ("started", "finished", "timed_epoch_s", "resumed")}
    stripped["epochs"] = {k: v for k, v in record["epochs"].items() if k != "seconds"}
    return stripped


@pytest.fixture(scope="module")
def mnist(data_dir) -> data.Arrays:
    return data.load_idx(data.idx_folder(data_dir, "mnist"))


def test_the_catalogue_is_the_one_table_of_names():
    assert spec.FAMILIES == tuple(catalogue.FAMILIES) == tuple(models.FAMILIES)
    assert spec.ACTIVATIONS == catalogue.ACTIVATIONS == tuple(models.ACTIVATIONS)
    assert data.HUB_REPOS == {"mnist": "ylecun/mnist", "fashion-mnist": "zalando-datasets/fashion_mnist"}
    assert set(loop.OPTIMIZERS) == set(catalogue.OPTIMIZERS) and set(loop.INITS) == set(catalogue.INITS)
    assert set(problems.PROBLEMS) == set(catalogue.PROBLEMS)
    for name, family in catalogue.FAMILIES.items():  # each family's parameters and defaults, as the class takes them
        signature = inspect.signature(models.FAMILIES[name]).parameters
        taken = {key: p.default for key, p in signature.items() if key not in models.PROBLEM_ARGS}
        listed = {p.name: (inspect.Parameter.empty if p.default is catalogue.REQUIRED else p.default)
                  for p in family.params}
        assert taken == listed, name


def test_variant_names_stay_readable_with_tuples_and_recipes():
    declared = variant("MLP", widths=[256, 128, 64], lr=0.001, optimizer="Adam", schedule="StepLR", step_size=20)
    assert declared.name == "MLP[lr=0.001,optimizer=Adam,schedule=StepLR,step_size=20,widths=256-128-64]"
    assert hash(declared) == hash(variant("MLP", widths=(256, 128, 64), lr=0.001, optimizer="Adam",
                                          schedule="StepLR", step_size=20))
    budget = variant("MLP", widths=(950, 50), activation=("ReLU", "sigmoid"))
    assert budget.name == "MLP[activation=ReLU-sigmoid,widths=950-50]"
    model = models.build(budget)
    assert [type(m).__name__ for m in model.layers] == ["Flatten", "Linear", "ReLU", "Linear", "Sigmoid", "Linear"]
    assert models.parameter_count(model) == 784 * 950 + 950 + 950 * 50 + 50 + 50 * 10 + 10


def test_settings_that_mean_something_only_together_are_checked_together():
    for changes, message in (({"schedule": "StepLR"}, "StepLR needs step_size"),
                             ({"gamma": 0.5}, "gamma is a setting of schedule StepLR"),
                             ({"optimizer": "Adam", "momentum": 0.9}, "momentum is a setting of SGD"),
                             ({"aux_weight": 1.0}, "aux_weight is a setting of problem digit-pairs")):
        with pytest.raises(ValueError, match=message):
            DEFAULTS.replace(**changes)


def test_predictions_round_trip_as_one_byte_per_image():
    classes = np.array([0, 9, 3, 255, 1], dtype=np.int64)
    assert decode_classes(encode_classes(classes)).tolist() == classes.tolist()
    assert decode_classes(encode_classes([])).tolist() == []
    with pytest.raises(ValueError):
        encode_classes([256])


def test_digit_pairs_are_fixed_labelled_by_the_greater_digit_and_carry_both_digits(mnist):
    config = DEFAULTS.replace(problem="digit-pairs", train_size=500)
    problem = problems.for_config(config)
    splits, again = problem.make_splits(mnist, CPU), problem.make_splits(mnist, CPU)
    assert splits.train_x.shape == (500, 2, 28, 28) and splits.val_x.shape == (8_000, 2, 28, 28)
    assert torch.equal(splits.val_x, again.val_x)  # drawn with a fixed seed
    digits = splits.extras["val"]["digits"]
    assert torch.equal(splits.val_y, (digits[:, 0] > digits[:, 1]).long())  # a tie is "not greater"
    single = data.make_splits(mnist, config, CPU)
    assert torch.equal(splits.val_x[:, :1], single.val_x) and torch.equal(digits[:, 0], single.val_y)
    assert problem.classes == 2 and problem.input_shape == (2, 28, 28)


def test_an_initialisation_is_seeded_and_zeroes_biases_where_asked():
    task = Task("t", variant("ResidualMLP"), 1729, DEFAULTS.replace(init="kaiming", zero_bias=True))
    first, second = loop.init_state(task, CPU).model, loop.init_state(task, CPU).model
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters()))
    assert torch.count_nonzero(first.head.bias) == 0
    default = loop.init_state(Task("t", task.variant, 1729, DEFAULTS), CPU).model
    assert not torch.equal(default.stem[1].weight, first.stem[1].weight)
    std = first.stem[1].weight.std().item()  # He normal: sqrt(2 / fan_in)
    assert abs(std - (2 / 784) ** 0.5) < 0.002


@pytest.mark.slow  # trains every variant of an investigation
def test_new_families_train_with_a_recipe_through_the_command_line(data_dir, tmp_path, monkeypatch, capsys):
    folder, runs = tmp_path / "experiments", tmp_path / "runs"
    _write_module(folder, "recipe-check", MODULE.format(name="recipe-check"))
    monkeypatch.setenv(experiments.EXTRA_ENV, str(folder))
    final_models = {}
    real_end_run = loop.end_run

    def end_run(state, path, splits, config):  # keep each final model, to recompute its predictions
        final_models[state.record["variant"]] = (copy.deepcopy(state.model), splits)
        real_end_run(state, path, splits, config)

    monkeypatch.setattr(loop, "end_run", end_run)
    argv = ["run", "recipe-check", "--device", "cpu", "--data-dir", str(data_dir), "--runs-dir", str(runs)]
    assert main(argv) == 0
    loaded = {r["variant"]: r for r in records.load_runs(runs, "recipe-check")}
    assert set(loaded) == {v.name for v in experiments.get("recipe-check").variants}
    for name, record in loaded.items():
        assert record["status"] == "complete" and record["epochs"]["epoch"] == [1, 2], name
        own = experiments.get("recipe-check").variant_named(name).training  # a variant's lr replaces the recipe's
        for key, value in {**RECIPE, **own}.items():
            assert record["config"][key] == value, (name, key)
        pairs = name.startswith("SiameseNet")
        assert record["classes"] == (2 if pairs else 10)
        assert record["epochs"]["val_accuracy"][-1] > (0.6 if pairs else 0.5), name  # it learned something
        model, splits = final_models[name]
        for part, size in (("val", 8_000), ("test", 2_000)):
            predicted = decode_classes(record["predictions"][part])
            assert len(predicted) == size
            with torch.no_grad():
                output = model.eval()(getattr(splits, f"{part}_x"))
            expected = problems.logits_of(output).argmax(dim=1)
            assert predicted.tolist() == expected.tolist(), (name, part)
            accuracy = (expected == getattr(splits, f"{part}_y")).float().mean().item()
            shown = record["epochs"]["val_accuracy"][-1] if part == "val" else record["test_accuracy"]
            assert accuracy == pytest.approx(shown, abs=1e-6)
        assert sum(record["val_prediction_counts"]) == 8_000
        if pairs:  # the auxiliary digit heads' accuracy is a column of its own
            assert len(record["epochs"]["val_digit_accuracy"]) == 2
            assert record["epochs"]["val_digit_accuracy"][-1] > 0.5
    assert main(["list", "recipe-check", "--runs-dir", str(runs)]) == 0  # the variants, each seed's run
    assert "SiameseNet[aux_weight=1.0,branch=ConvNet,lr=0.002,problem=digit-pairs]: 1729 complete (2 epochs" in capsys.readouterr().out


STEPPED = Task("t", variant("ResidualMLP", width=32), 1729,
               DEFAULTS.replace(train_size=600, val_size=500, test_size=500, epochs=2, **RECIPE))


def test_the_same_seed_gives_the_same_record(mnist, tmp_path):
    splits = problems.for_config(STEPPED.config).make_splits(mnist, CPU)
    first = loop.train(STEPPED, splits, CPU, tmp_path / "a", progress=False)
    second = loop.train(STEPPED, splits, CPU, tmp_path / "b", progress=False)
    assert _without_timings(first) == _without_timings(second)
    assert first["predictions"] is not None


class Killed(BaseException):
    """Stands in for SIGKILL."""


@pytest.mark.parametrize("kill_at", (2, 4, 7))
def test_a_run_killed_under_steplr_resumes_to_the_uninterrupted_record(mnist, tmp_path, monkeypatch, kill_at):
    splits = problems.for_config(STEPPED.config).make_splits(mnist, CPU)
    reference = loop.train(STEPPED, splits, CPU, tmp_path / "reference", progress=False)
    calls, real = {"count": 0}, records.atomic_write_bytes

    def write(path, payload):
        calls["count"] += 1
        if calls["count"] == kill_at:
            raise Killed
        real(path, payload)

    with monkeypatch.context() as patch:
        patch.setattr(records, "atomic_write_bytes", write)
        with pytest.raises(Killed):
            loop.train(STEPPED, splits, CPU, tmp_path / "killed", progress=False)
    path = records.record_path(tmp_path / "killed", "t", STEPPED.variant.name, 1729)
    saved = torch.load(checkpoint.checkpoint_path(path), weights_only=True)
    assert saved["scheduler"]["last_epoch"] == saved["epoch"]  # the schedule's state is checkpointed
    resumed = loop.train(STEPPED, splits, CPU, tmp_path / "killed", progress=False)
    assert _without_timings(resumed) == _without_timings(reference)


BAD = {
    "optimizer": ('variant("ResidualMLP", optimizer="Adamm")', "optimizer", "one of SGD, Adam, AdamW"),
    "dataset": ('variant("ResidualMLP", dataset="kmnist")', "dataset", "one of mnist, fashion-mnist"),
    "schedule": ('variant("ResidualMLP", schedule={"StepLR": {"step": "ten"}})', "schedule",
                 "one of none, StepLR, cosine"),
    "parameter": ('variant("ResidualMLP", depth=3)', "'depth'", "ResidualMLP takes width, blocks, activation"),
    "activation": ('variant("MLP", widths=(950, 50), activation=("ReLU", "sigmoidd"))', "activation",
                   "one of none, ReLU"),
    "combination": ('variant("ResidualMLP", schedule="cosine")', "step_size", "a setting of schedule StepLR"),
    "family": ('variant("ResNet50")', "ResNet50", "known: SimpleNet2, LeNet5, MLP"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_declaration_naming_what_the_catalogue_lacks_is_one_line_naming_the_module(case, tmp_path, monkeypatch, capsys):
    declaration, named, choices = BAD[case]
    source = MODULE.format(name="bad-recipe").replace('variant("ResidualMLP", width=32, blocks=2)', declaration)
    _write_module(tmp_path, "bad-recipe", source)
    monkeypatch.setenv(experiments.EXTRA_ENV, str(tmp_path))
    assert main(["list", "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"battleground: error: {tmp_path / 'bad_recipe.py'}: ")
    assert named in err and choices in err


def test_a_results_table_shows_the_recipe_only_where_it_varies():
    from battleground.site import tables

    plain, adam = tables.recipe({"optimizer": "SGD"}), tables.recipe(
        {"optimizer": "Adam", "schedule": "StepLR", "step_size": 20, "gamma": None, "init": "kaiming", "zero_bias": True})
    assert adam == {"optimizer": "Adam", "schedule": "StepLR, x0.1 every 20 epochs", "init": "kaiming, zero biases"}
    assert [key for key, _, _ in tables.columns([plain, plain])] == [key for key, _, _ in tables.COLUMNS]
    shown = [key for key, _, _ in tables.columns([plain, adam | {"schedule": "none", "init": "default"}])]
    assert shown[:3] == ["variant", "optimizer", "seed"] and "schedule" not in shown
