"""A problem declared outside the package: an experiment module in a folder of its own
(``$BATTLEGROUND_EXPERIMENTS``) declares a task that is not classification, regressing the digit's
value with a mean-squared-error loss and a lower-is-better ``mae`` metric, trains it through
``battleground run`` and builds a page that shows ``val_mae``, with no module of the package
knowing the problem."""

from __future__ import annotations

import copy
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import experiments
from battleground.core import catalogue, records, splits
from battleground.core.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent

# The whole of what adding the problem takes: this module, and the page below.
EXPERIMENT = '''"""Digit value: a digit's value (0 to 9) read from its image as a number, not as a class."""

from battleground.core import catalogue
from battleground.core.config import DEFAULTS
from battleground.core.spec import Investigation, variant


def _trainer():
    """The torch side, imported only when training: the site reads this module without torch."""
    import torch.nn.functional as F

    from battleground.train import problems

    class DigitValue(problems.OneImage):
        name = "digit-value"

        def loss(self, output, y, reduction="mean", **extras):
            return F.mse_loss(output.squeeze(1), y.float(), reduction=reduction)

        def predict(self, output):
            return output.squeeze(1)

        def measure(self, outputs, predicted, part):
            return {"mae": (predicted - part["y"].float()).abs().mean().item()}

    return DigitValue


catalogue.register_problem(catalogue.Problem(
    "digit-value", "the digit's value, as a number", pairs=False, predicts="value", families=("SimpleNet2",),
    metrics=(catalogue.Metric("mae", "mean absolute error", "MAE", "", 0.0, None, higher_is_better=False),),
    trainer=_trainer))

INVESTIGATION = Investigation(
    name="digit-value",
    question="How closely does an MLP read a digit's value as a number?",
    variants=(variant("SimpleNet2", depth=1),),
    seeds=(1729,),
    config=DEFAULTS.replace(problem="digit-value", loss="mse", optimizer="Adam", epochs=2, train_size=2_000),
)
'''

PAGE = """---
title: Digit value
summary: An MLP reads a digit's value as a number.
order: 1
investigation: digit-value
charts:
  - id: curve
    title: Mean absolute error while training
tables:
  - id: results
---
How far off is the value read?

{{ chart: curve }}

{{ table: results }}
"""
INDEX = "---\ntitle: Regression\nsummary: One problem declared outside the package.\norder: 0\n---\n\n{{ investigations }}\n"


@pytest.fixture
def outside(tmp_path, monkeypatch):
    """The experiments folder holding the module, set for this process and its children; the
    catalogue forgets the problem afterwards, as a fresh process would."""
    folder = tmp_path / "experiments"
    folder.mkdir()
    (folder / "digit_value.py").write_text(EXPERIMENT, encoding="utf-8")
    monkeypatch.setenv(experiments.EXTRA_ENV, str(folder))
    yield folder
    catalogue.PROBLEMS.pop("digit-value", None)


def _run(*argv: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_a_regression_declared_outside_the_package_trains_and_shows_val_mae_on_a_page(outside, tmp_path, data_dir):
    runs = tmp_path / "runs"
    done = _run("-m", "battleground", "run", "digit-value", "--runs-dir", str(runs), "--data-dir", str(data_dir),
                "--device", "cpu")
    assert "complete (2 epochs, val_mae " in done.stdout + done.stderr

    experiments.discover()  # as the site does: importing the module declares the problem here too
    assert "digit-value" not in catalogue.BUILT_IN_PROBLEMS
    path = records.record_path(runs, "digit-value", "SimpleNet2[depth=1]", 1729)
    record = records.load_record(path)
    mae = record["epochs"]["val_mae"]
    assert record["schema"] == records.SCHEMA and record["classes"] is None
    assert "val_accuracy" not in record["epochs"] and record["val_prediction_counts"] is None
    assert len(mae) == 2 and mae[1] < mae[0]  # two epochs, and the second read the digits better
    # the test value is the mean absolute error of the predictions kept, image by image
    assert record["predictions"]["dtype"] == "float32"
    labels = splits.read(splits.for_config(runs, TrainConfig(**record["config"])))
    test = records.predictions(record, "test")
    assert test.dtype == np.float32 and len(test) == record["data"]["test_images"]
    assert records.predicted_classes(record, "test") is None  # values: no image-by-image class comparison
    assert np.abs(test - np.array(labels["test_labels"])).mean() == pytest.approx(record["test_mae"], rel=1e-5)

    src, out = tmp_path / "src", tmp_path / "site"
    src.mkdir()
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    (src / "digit-value.md").write_text(PAGE, encoding="utf-8")
    # the site side reads the module and builds the page without importing torch
    _run("-c", "import sys; from battleground.site import builder; "
               f"assert builder.main(['--src', {str(src)!r}, '--runs', {str(runs)!r}, '--out', {str(out)!r}, "
               "'--strict']) == 0; assert 'torch' not in sys.modules, 'the site imported torch'")
    page = (out / "digit-value.html").read_text(encoding="utf-8")

    # the chart plots val_mae, labelled as the catalogue declares it, lower is better
    spec = json.loads(html.unescape(re.search(r'class="chart-data">(.*?)</script>', page, re.S).group(1)))
    assert spec["metric"]["column"] == "val_mae" and spec["metric"]["label"] == "validation mean absolute error"
    assert spec["metric"]["fraction"] is False and spec["metric"]["higher_is_better"] is False
    deltas = spec["series"][0]["runs"]["1729"]["acc"]
    assert [v / spec["acc_scale"] for v in np.cumsum(deltas)] == pytest.approx(mae, abs=1e-5)

    # the results table: the metric's headers, its values, and lower sorts first
    table = page[page.index("<table"):page.index("</table>")]
    headers = {key: (best, header) for key, best, header in re.findall(
        r'data-key="(best_val|final_val|test)"[^>]*data-best="(\w+)"><button type="button">([^<]+)<', table)}
    assert headers == {"best_val": ("low", "best val. MAE"), "final_val": ("low", "final val. MAE"),
                       "test": ("low", "test MAE")}
    assert f">{min(mae):.4g}<" in table and f">{record['test_mae']:.4g}<" in table
    assert "%" not in table.split("</thead>")[1]  # no value reads as a percentage

    # the downloads name the column too
    csv = (out / "data" / "digit-value" / "variants" / "SimpleNet2_depth-1.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].split(",")[6] == "val_mae"


def test_a_problem_outside_the_package_is_checked_where_it_is_declared(outside):
    mae = catalogue.Metric("mae", "mean absolute error", "MAE", "", 0.0, None, higher_is_better=False)
    trainer = lambda: None  # noqa: E731 - never called here
    bad = {
        "classify": dict(name="classify"),
        "predicts": dict(predicts="vector"),
        "families": dict(families=("NoSuchNet",)),
        "each named once": dict(metrics=(mae, mae)),
        "trainer": dict(trainer=None),
        "'test' summary": dict(metrics=(catalogue.Metric("mae", "m", "m", "", 0.0, None, False, summaries=("final",)),)),
    }
    for said, changes in bad.items():
        fields = dict(name="digit-value", what="a value", pairs=False, metrics=(mae,), predicts="value",
                      families=("SimpleNet2",), trainer=trainer) | changes
        with pytest.raises(catalogue.CatalogueError, match=re.escape(said)):
            catalogue.register_problem(catalogue.Problem(**fields))
        assert "digit-value" not in catalogue.PROBLEMS


def test_a_value_problems_record_is_checked_against_its_declaration(outside, tmp_path):
    experiments.discover()
    record = {
        "schema": records.SCHEMA, "investigation": "digit-value", "variant": "SimpleNet2[depth=1]", "seed": 1729,
        "status": "complete", "model": {"family": "SimpleNet2", "params": {"activation": "ReLU", "depth": 1,
                                                                             "width": 100}, "parameters": 88_701},
        "classes": None, "engine": "autograd",
        "config": experiments.get("digit-value").config.as_dict(),
        "flops": {"per_step_profiler": 1, "per_step_complete": 1, "steps_per_epoch": 20, "profiler_complete": True},
        "timed_epoch_s": None,
        "environment": {"device": "cpu", "torch": "2", "python": "3.11", "code_version": "abc"},
        "data": {"source": "idx files", "train_images": 2_000, "val_images": 2, "test_images": 3},
        "epochs": {"epoch": [1], "train_loss": [9.0], "val_loss": [5.0], "val_mae": [1.9], "seconds": [1.0],
                   "cumulative_flops": [20]},
        "val_prediction_counts": None, "test_mae": 1.8,
        "predictions": records.encode_predictions([3.5, 7.25], [0.0, 1.5, 9.0], "float32"),
    }
    loaded = records.load_record(records.write_record(tmp_path / "r.json", record))
    assert records.predictions(loaded, "val").tolist() == [3.5, 7.25]
    cases = {  # one change each -> the field named
        "classes": {"classes": 10},  # a value problem has no classes
        "test_mae": {"test_mae": -0.5},  # below the declared range
        "epochs.val_mae[0]": {"epochs": {**record["epochs"], "val_mae": [-1.0]}},
        "epochs.val_mae": {"epochs": {k: v for k, v in record["epochs"].items() if k != "val_mae"}},
        "predictions.dtype": {"predictions": records.encode_predictions([3, 7], [0, 1, 9], "uint8")},
        "predictions.test": {"predictions": records.encode_predictions([3.5, 7.25], [0.0, float("nan"), 9.0],
                                                                       "float32")},
        "val_prediction_counts": {"val_prediction_counts": [1, 1]},
    }
    for field, change in cases.items():
        with pytest.raises(records.RecordError) as error:
            records.validate(copy.deepcopy({**record, **change}), "r.json")
        assert error.value.field == field, (field, str(error.value))


def test_the_trainer_must_give_a_problem_that_measures_what_it_declares(outside):
    import torch
    from torch import nn

    from battleground.train import problems

    mae = catalogue.Metric("mae", "mean absolute error", "MAE", "", 0.0, None, higher_is_better=False)

    class Wrong(problems.OneImage):  # measures a metric its declaration does not name
        name = "digit-value"

        def loss(self, output, y, reduction="mean", **extras):
            return ((output.squeeze(1) - y.float()) ** 2).sum() if reduction == "sum" else output.mean()

        def predict(self, output):
            return output.squeeze(1)

        def measure(self, outputs, predicted, part):
            return {"rmse": 1.0}

    def declare(trainer):
        catalogue.register_problem(catalogue.Problem("digit-value", "a value", pairs=False, metrics=(mae,),
                                                     predicts="value", families=("SimpleNet2",), trainer=trainer))

    config = TrainConfig(problem="classify").as_dict() | {"problem": "digit-value"}
    declare(lambda: nn.Linear)  # not a problem at all
    with pytest.raises(TypeError, match="subclass of battleground.train.problems.Problem"):
        problems.for_config(TrainConfig(**config))
    declare(lambda: Wrong)
    problem = problems.for_config(TrainConfig(**config))
    assert problem.classes is None and problem.shape["classes"] == 1 and problem.columns == ("val_mae",)
    part = {"x": torch.zeros(4, 1, 28, 28), "y": torch.tensor([0, 1, 2, 3])}
    with pytest.raises(ValueError, match="differs in mae, rmse"):
        problem.evaluate(nn.Sequential(nn.Flatten(), nn.Linear(784, 1)), part)
