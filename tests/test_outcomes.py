"""A run's outcome (battleground/core/outcomes.py): summary values from the metrics its problem
declares, and one state, each defined once; records checked against the declarations."""

from __future__ import annotations

import json

import pytest

from battleground.core import catalogue, outcomes, records
from tests.test_records import valid_record

FLAT_LOSS = [2.3013] * 10  # a training loss that has stopped falling
FALLING_LOSS = [2.31 - 0.001 * i for i in range(10)]


def record(accuracy: list, train_loss: list | None = None, counts=None, status="complete", **fields) -> dict:
    """A record with the fields an outcome reads: its epochs, predictions, status and problem."""
    n = len(accuracy)
    found = {
        "status": status, "classes": 10, "config": {"problem": "classify"}, "test_accuracy": 0.9,
        "val_prediction_counts": counts if counts is not None else [800] * 10,
        "epochs": {"epoch": list(range(1, n + 1)), "val_accuracy": accuracy,
                   "val_loss": [1.0] * n, "train_loss": train_loss if train_loss is not None else FALLING_LOSS[:n]},
    }
    return found | fields


ONE_CLASS = [0, 7_920] + [10] * 8  # 99% exactly: one class


def test_summary_values_are_the_last_the_best_and_the_test_value():
    found = outcomes.outcome(record([0.5, 0.9, None, 0.8]))
    assert found.values["final_val"] == 0.8 and found.values["best_val"] == 0.9 and found.values["test"] == 0.9
    assert found.values["val_loss"] == 1.0 and found.values["train_loss"] == FALLING_LOSS[3]
    assert outcomes.outcome(record([0.5, None])).values["final_val"] is None  # the last epoch gave none
    assert outcomes.outcome(record([])).values == {key: None for key in outcomes.summaries()} | {"test": 0.9}


def test_best_follows_the_direction_the_metric_declares():
    error = catalogue.Metric("mae", "mean absolute error", "MAE", "", 0.0, None, higher_is_better=False)
    summary = outcomes._summary(error, "best", headline=False)
    assert summary.key == "best_val_mae" and summary.label == "best validation mean absolute error"
    assert outcomes.summary_value({"epochs": {"val_mae": [3.0, 1.5, None, 2.0]}}, summary) == 1.5


def test_labels_come_from_the_declarations_and_further_metrics_get_their_own_keys():
    assert {k: s.short for k, s in outcomes.HEADLINE.items()} == {
        "final_val": "final val. acc.", "best_val": "best val. acc.", "test": "test acc."}
    pairs = outcomes.summaries("digit-pairs")
    assert list(pairs) == ["final_val", "best_val", "test", "final_val_digit_accuracy", "best_val_digit_accuracy",
                           "val_loss", "train_loss"]  # digit accuracy declares no test value
    assert pairs["best_val_digit_accuracy"].label == "best validation digit accuracy"
    assert "final_val_digit_accuracy" not in outcomes.summaries("classify")


def test_a_run_collapsed_when_one_class_takes_99_percent_and_its_loss_stopped_falling():
    assert outcomes.state(record([0.11] * 10, FLAT_LOSS, ONE_CLASS)) == "collapsed"
    almost = [0, 7_900] + [12, 12, 12, 12, 13, 13, 13, 13]  # 98.75%: not one class
    assert outcomes.state(record([0.11] * 10, FLAT_LOSS, almost)) == "not learning yet"  # at chance still
    assert outcomes.state(record([0.95] * 10, FLAT_LOSS, almost)) == "complete"


def test_a_run_at_chance_whose_loss_still_falls_or_that_is_too_short_is_not_learning_yet():
    falling = outcomes.outcome(record([0.11] * 10, FALLING_LOSS, ONE_CLASS))
    assert falling.state == "not learning yet" and falling.said == "not learning yet after 10 epochs"
    short = record([0.11] * outcomes.WINDOW, FLAT_LOSS[:outcomes.WINDOW], ONE_CLASS)  # too short to tell
    assert outcomes.state(short) == "not learning yet"
    assert outcomes.state(record([0.11 + outcomes.CHANCE_MARGIN] * 10, FALLING_LOSS)) == "complete"  # above chance


def test_diverged_is_the_status_or_a_null_last_validation_loss():
    assert outcomes.state(record([0.5, None], status="diverged")) == "diverged"
    nulled = record([0.5, 0.6])
    nulled["epochs"]["val_loss"] = [1.0, None]
    assert outcomes.state(nulled) == "diverged" and outcomes.outcome(nulled).note == "diverged"


def test_otherwise_the_state_is_the_records_status_and_no_note():
    for status in ("interrupted", "running", "complete"):
        found = outcomes.outcome(record([0.5, 0.9], status=status))
        assert found.state == status and found.note is None
    assert outcomes.state(record([], status="running")) == "running"  # no epoch yet: nothing to judge


def test_every_state_and_its_definition_is_written_in_the_module_docstring():
    for state in outcomes.STATES:
        assert f"``{state}``" in outcomes.__doc__


def _error_for(tmp_path, found: dict) -> records.RecordError:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(found), encoding="utf-8")
    with pytest.raises(records.RecordError) as error:
        records.load_record(path)
    return error.value


def test_a_metric_column_is_checked_against_the_range_its_problem_declares(tmp_path, monkeypatch):
    # a declaration narrower than the name's ending ("accuracy": 0 to 1) shows which one is read
    narrow = catalogue.Metric("digit_accuracy", "digit accuracy", "digit acc.", "fraction", 0.0, 0.6,
                              higher_is_better=True, summaries=("final", "best"))  # as declared: no test value
    pairs = catalogue.PROBLEMS["digit-pairs"]
    monkeypatch.setitem(catalogue.PROBLEMS, "digit-pairs", catalogue.Problem(
        pairs.name, pairs.what, pairs.pairs, metrics=(catalogue.ACCURACY, narrow)))
    found = valid_record()
    found["config"]["problem"] = "digit-pairs"
    found["classes"] = 2
    found["val_prediction_counts"] = [1, 1]
    found["predictions"] = None
    found["epochs"]["val_digit_accuracy"] = [0.5, 0.7]
    error = _error_for(tmp_path, found)
    assert error.field == "epochs.val_digit_accuracy[1]" and "a fraction from 0 to 0.6, or null" in str(error)
    found["config"]["problem"] = "classify"  # not declared there: the name's ending gives 0 to 1
    found["classes"] = 10
    found["val_prediction_counts"] = [1] * 10
    records.validate(found)
