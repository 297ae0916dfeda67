"""The run record contract: what is written reads back, and every bad file is named with its field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from battleground.core import records
from battleground.core.config import DEFAULTS


def valid_record() -> dict:
    return {
        "schema": records.SCHEMA,
        "investigation": "activation-functions",
        "variant": "SimpleNet2[activation=ReLU,depth=0]",
        "seed": 1729,
        "status": "complete",
        "model": {"family": "SimpleNet2", "params": {"activation": "ReLU", "depth": 0, "width": 100},
                  "parameters": 79_510},
        "classes": 10,
        "engine": "hand-step",
        "config": {"problem": "classify", "schedule": "none", "init": "default", **DEFAULTS.as_dict()},
        "flops": {"per_step_profiler": 31_960_000, "per_step_complete": 31_960_000, "steps_per_epoch": 600,
                  "profiler_complete": True},
        "timed_epoch_s": 0.5,
        "environment": {"device": "cpu", "torch": "2.13.0", "python": "3.11.7", "code_version": "abc"},
        "epochs": {"epoch": [1, 2], "train_loss": [2.01, 1.5], "val_loss": [1.62, 1.2],
                   "val_accuracy": [0.388, 0.61], "seconds": [0.5, 0.5],
                   "cumulative_flops": [19_176_000_000, 38_352_000_000]},
        "val_prediction_counts": [800] * 10,
        "predictions": None,
        "test_accuracy": 0.6,
    }


def test_a_record_round_trips(tmp_path):
    record = valid_record()
    path = records.write_record(records.record_path(tmp_path, record["investigation"], record["variant"], 1729), record)
    assert path.name == "SimpleNet2_activation-ReLU_depth-0.seed1729.json"
    assert records.load_record(path) == record
    assert records.load_runs(tmp_path) == [record]
    assert [p.name for p in tmp_path.rglob("*")] == ["activation-functions", path.name]  # no temp files


def test_a_non_finite_loss_is_written_as_null(tmp_path):
    record = valid_record()
    record.update(status="diverged", test_accuracy=None)
    record["epochs"]["train_loss"][-1] = float("nan")
    path = records.write_record(tmp_path / "r.json", record)
    assert records.load_record(path)["epochs"]["train_loss"] == [2.01, None]


def _write_text(tmp_path, record):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record) if isinstance(record, dict) else record)
    return path


def _error_for(tmp_path, record) -> records.RecordError:
    path = _write_text(tmp_path, record)
    with pytest.raises(records.RecordError) as error:
        records.load_record(path)
    assert str(path) in str(error.value)
    return error.value


def _without(dotted: str) -> dict:
    record = valid_record()
    *parents, leaf = dotted.split(".")
    target = record
    for part in parents:
        target = target[part]
    del target[leaf]
    return record


@pytest.mark.parametrize("field", ["seed", "config.lr", "flops.per_step_complete", "environment.code_version",
                                   "epochs.val_accuracy", "val_prediction_counts"])
def test_a_missing_field_is_named(tmp_path, field):
    error = _error_for(tmp_path, _without(field))
    assert error.field == field and "missing" in str(error)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("seed", "1729", "a whole number"),
        ("status", "done", "one of running, complete, diverged, interrupted"),
        ("val_prediction_counts", [800] * 9, "a list of 10 whole numbers"),
        ("val_prediction_counts", [800.0] * 10, "a list of 10 whole numbers"),
        ("test_accuracy", None, "a number once status is 'complete'"),
    ],
)
def test_a_wrong_type_is_named_with_what_was_expected(tmp_path, field, value, expected):
    record = valid_record()
    record[field] = value
    error = _error_for(tmp_path, record)
    assert error.field == field and expected in str(error)


def test_prediction_counts_may_be_null_before_the_first_epoch_only(tmp_path):
    running = valid_record()
    running.update(status="running", test_accuracy=None, val_prediction_counts=None)
    running["epochs"] = {name: [] for name in records.EPOCH_COLUMNS}
    assert records.validate(copy.deepcopy(running)) == running
    complete = valid_record()
    complete["val_prediction_counts"] = None
    assert _error_for(tmp_path, complete).field == "val_prediction_counts"


def test_ragged_epoch_columns_are_refused(tmp_path):
    record = valid_record()
    record["epochs"]["seconds"].append(0.5)
    assert _error_for(tmp_path, record).field == "epochs"


def test_a_truncated_file_is_named_as_unreadable(tmp_path):
    text = records.dumps(valid_record())
    error = _error_for(tmp_path, text[: len(text) // 2])
    assert error.field == "(file)" and "perhaps truncated" in str(error)


def test_a_newer_schema_says_to_update(tmp_path):
    record = valid_record()
    record["schema"] = records.SCHEMA + 1
    error = _error_for(tmp_path, record)
    assert error.field == "schema" and "newer version" in str(error)


def test_an_invalid_record_never_reaches_the_disk(tmp_path):
    record = valid_record()
    del record["flops"]
    path = tmp_path / "never.json"
    with pytest.raises(records.RecordError, match="'flops'"):
        records.write_record(path, record)
    assert not path.exists()


def test_record_path_never_leaves_the_investigation_folder(tmp_path):
    path = records.record_path(tmp_path, "inv", "../</script>[a=1]", 1729)
    assert path.parent == tmp_path / "inv"
    assert path.name == "script_a-1.seed1729.json"


def test_a_run_is_collapsed_when_one_class_takes_99_percent_of_the_predictions():
    record = valid_record()
    assert not records.collapsed(record)  # about 10% each
    record["val_prediction_counts"] = [8_000] + [0] * 9
    assert records.collapsed(record)
    record["val_prediction_counts"] = [0, 7_920] + [10] * 8  # 99% exactly: still one class
    assert records.collapsed(record)
    record["val_prediction_counts"] = [0, 7_900] + [12, 12, 12, 12, 13, 13, 13, 13]  # 98.75%
    assert not records.collapsed(record)
    record["val_prediction_counts"] = None  # no epoch finished yet: nothing to judge
    assert not records.collapsed(record)


# --- schema 2 -----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_every_committed_record_reads_as_the_current_schema():
    files = records.record_files(ROOT / "runs")
    assert files, "runs/ holds committed records"
    for path in files:
        record = records.load_record(path)
        assert record["schema"] == records.SCHEMA and record["classes"] == 10, path


def test_update_to_2_adds_what_version_1_left_implicit_and_changes_nothing_else():
    old = valid_record()
    for key in ("classes", "engine", "predictions"):
        del old[key]
    for key in ("problem", "schedule", "init"):
        del old["config"][key]
    del old["flops"]["profiler_complete"]
    old["schema"] = 1
    new = records.parse_record(json.dumps(old))
    assert new["schema"] == 2 and new["classes"] == 10 and new["engine"] == "unrecorded"
    assert new["predictions"] is None and new["flops"]["profiler_complete"] is True
    assert (new["config"]["problem"], new["config"]["schedule"], new["config"]["init"]) == ("classify", "none",
                                                                                           "default")
    for key, value in old.items():
        if key not in ("schema", "config", "flops"):
            assert new[key] == value, key
    assert {k: new["config"][k] for k in old["config"]} == old["config"]


def test_a_problem_may_add_metric_columns_that_are_validated_like_the_fixed_ones(tmp_path):
    record = valid_record()
    record["epochs"]["val_digit_accuracy"] = [0.5, 0.7]
    path = records.write_record(tmp_path / "r.json", record)
    assert records.metric_columns(records.load_record(path)) == ["val_digit_accuracy"]
    for bad, field in (([0.5], "epochs"), ([0.5, "high"], "epochs.val_digit_accuracy[1]")):
        record["epochs"]["val_digit_accuracy"] = bad
        assert _error_for(tmp_path, record).field == field
    del record["epochs"]["val_digit_accuracy"]
    record["epochs"]["Val Accuracy!"] = [1, 2]
    assert _error_for(tmp_path, record).field == "epochs.Val Accuracy!"


def test_per_image_predictions_round_trip_and_must_fit_the_split_and_the_classes(tmp_path):
    record = valid_record()
    record["data"] = {"source": "idx files", "train_images": 60_000, "val_images": 4, "test_images": 2}
    record["predictions"] = {"val": records.encode_classes([7, 2, 1, 0]), "test": records.encode_classes([4, 9])}
    loaded = records.load_record(records.write_record(tmp_path / "r.json", record))
    assert list(records.decode_classes(loaded["predictions"]["val"])) == [7, 2, 1, 0]
    cases = {
        "predictions.val": {"val": records.encode_classes([7, 2, 1]), "test": records.encode_classes([4, 9])},
        "predictions.test": {"val": records.encode_classes([7, 2, 1, 0]), "test": records.encode_classes([4, 10])},
    }
    for field, predictions in cases.items():
        record["predictions"] = predictions
        assert _error_for(tmp_path, record).field == field
    record["predictions"] = {"val": "not base64!", "test": ""}
    assert _error_for(tmp_path, record).field == "predictions.val"
    record["predictions"] = {"val": ""}
    assert _error_for(tmp_path, record).field == "predictions"
