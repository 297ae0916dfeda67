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
    running["epochs"] = {name: [] for name in (*records.EPOCH_COLUMNS, "val_accuracy")}  # classify's metric
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


# --- schema 2 -----------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_every_committed_record_reads_as_the_current_schema():
    files = records.record_files(ROOT / "runs")
    assert files, "runs/ holds committed records"
    for path in files:
        record = records.load_record(path)
        classes = 2 if record["config"]["problem"] == "digit-pairs" else 10  # greater or not
        assert record["schema"] == records.SCHEMA and record["classes"] == classes, path


def test_update_to_2_adds_what_version_1_left_implicit_and_changes_nothing_else():
    old = valid_record()
    for key in ("classes", "engine", "predictions"):
        del old[key]
    for key in ("problem", "schedule", "init"):
        del old["config"][key]
    del old["flops"]["profiler_complete"]
    old["schema"] = 1
    new = records.update_to_2(copy.deepcopy(old))
    assert records.parse_record(json.dumps(old))["schema"] == records.SCHEMA  # and on to the current one
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
    assert records.metric_columns(records.load_record(path)) == ["val_accuracy", "val_digit_accuracy"]
    for bad, field in (([0.5], "epochs"), ([0.5, "high"], "epochs.val_digit_accuracy[1]")):
        record["epochs"]["val_digit_accuracy"] = bad
        assert _error_for(tmp_path, record).field == field
    del record["epochs"]["val_digit_accuracy"]
    record["epochs"]["Val Accuracy!"] = [1, 2]
    assert _error_for(tmp_path, record).field == "epochs.Val Accuracy!"


def test_per_image_predictions_round_trip_and_must_fit_the_split_and_the_classes(tmp_path):
    record = valid_record()
    record["data"] = {"source": "idx files", "train_images": 60_000, "val_images": 4, "test_images": 2}
    record["predictions"] = records.encode_predictions([7, 2, 1, 0], [4, 9], "uint8")
    loaded = records.load_record(records.write_record(tmp_path / "r.json", record))
    assert loaded["predictions"]["dtype"] == "uint8"
    assert list(records.predictions(loaded, "val")) == [7, 2, 1, 0]
    assert list(records.predicted_classes(loaded, "test")) == [4, 9]
    assert records.predicted_classes({**loaded, "predictions": None}, "test") is None  # not complete yet
    cases = {
        "predictions.val": records.encode_predictions([7, 2, 1], [4, 9], "uint8"),
        "predictions.test": records.encode_predictions([7, 2, 1, 0], [4, 10], "uint8"),
        # a classifier's predictions are classes: values in four bytes are another problem's
        "predictions.dtype": records.encode_predictions([7, 2, 1, 0], [4, 9], "float32"),
    }
    for field, predictions in cases.items():
        record["predictions"] = predictions
        assert _error_for(tmp_path, record).field == field
    record["predictions"] = {"dtype": "uint8", "val": "not base64!", "test": ""}
    assert _error_for(tmp_path, record).field == "predictions.val"
    record["predictions"] = {"val": records.encode_classes([7, 2, 1, 0]), "test": records.encode_classes([4, 9])}
    assert _error_for(tmp_path, record).field == "predictions"  # schema 2's form, without its dtype


def test_update_to_3_declares_the_predictions_dtype_and_changes_nothing_else():
    old = valid_record()
    old["schema"] = 2
    old["data"] = {"source": "idx files", "train_images": 60_000, "val_images": 4, "test_images": 2}
    old["predictions"] = {"val": records.encode_classes([7, 2, 1, 0]), "test": records.encode_classes([4, 9])}
    new = records.parse_record(json.dumps(old))
    assert new["schema"] == 3 and new["predictions"] == {"dtype": "uint8", **old["predictions"]}
    assert {k: v for k, v in new.items() if k not in ("schema", "predictions")} == {
        k: v for k, v in old.items() if k not in ("schema", "predictions")}
    assert list(records.predictions(new, "test")) == [4, 9]
    old["predictions"] = None  # a run that was not complete, or written before predictions were kept
    assert records.parse_record(json.dumps(old))["predictions"] is None


def test_float32_predictions_round_trip_little_endian_whatever_the_machine():
    values = [0.5, -1.25, 9.0]
    text = records.encode_values(values, "float32")
    assert records.decode_values(text, "float32").tolist() == values
    # the bytes are little-endian: 0.5 is 00 00 00 3f
    assert records.decode_classes(text)[:4].tolist() == [0, 0, 0, 0x3F]
    with pytest.raises(ValueError):
        records.decode_values(records.encode_classes([1, 2, 3]), "float32")  # 3 bytes: no whole float


# --- impossible values: each column and field has a physical range --------------------------------


def _set(dotted: str, value):
    def change(record):
        *parents, leaf = dotted.split(".")
        target = record
        for part in parents:
            target = target[part]
        if isinstance(target, dict):
            target[leaf] = value
        return record
    return change


def _column(name: str, index: int, value):
    def change(record):
        record["epochs"][name][index] = value
        return record
    return change


IMPOSSIBLE = {
    # case: (change, field named, words of the expectation, value shown)
    "validation accuracy 5.0": (_column("val_accuracy", 1, 5.0), "epochs.val_accuracy[1]", "(epoch 2)", "5.0"),
    "validation accuracy -3.0": (_column("val_accuracy", 0, -3.0), "epochs.val_accuracy[0]", "from 0 to 1", "-3.0"),
    "test accuracy 42": (_set("test_accuracy", 42), "test_accuracy", "from 0 to 1", "42"),
    "negative loss": (_column("val_loss", 1, -0.5), "epochs.val_loss[1]", ">= 0, or null", "-0.5"),
    "negative seconds": (_column("seconds", 0, -1.0), "epochs.seconds[0]", "seconds >= 0 (epoch 1)", "-1.0"),
    "null seconds": (_column("seconds", 1, None), "epochs.seconds[1]", "seconds >= 0", "None"),
    "negative cumulative FLOPs": (_column("cumulative_flops", 0, -5), "epochs.cumulative_flops[0]", ">= 0", "-5"),
    "decreasing cumulative FLOPs": (_column("cumulative_flops", 1, 1_000), "epochs.cumulative_flops[1]",
                                    "never decreases) (epoch 2)", "1000"),
    "negative timed epoch": (_set("timed_epoch_s", -0.1), "timed_epoch_s", ">= 0", "-0.1"),
    "negative step count": (_set("flops.steps_per_epoch", -600), "flops.steps_per_epoch", "a count >= 0", "-600"),
    "negative parameter count": (_set("model.parameters", -1), "model.parameters", "a count >= 0", "-1"),
    "negative seed": (_set("seed", -1), "seed", "from 0 to 18446744073709551615", "-1"),
    "seed beyond 64 bits": (_set("seed", 2**64), "seed", "without wrapping", str(2**64)),
}


@pytest.mark.parametrize("case", sorted(IMPOSSIBLE))
def test_an_impossible_value_is_named_with_file_field_epoch_and_value(tmp_path, case):
    change, field, expected, shown = IMPOSSIBLE[case]
    error = _error_for(tmp_path, change(valid_record()))
    assert error.field == field and expected in str(error)
    assert str(error).endswith(f"found {shown}")


def test_every_epoch_column_declares_its_range():
    assert set(records.COLUMN_RANGES) == set(records.EPOCH_COLUMNS)


def test_a_diverged_loss_may_be_null_on_disk_and_nan_in_memory():
    record = valid_record()
    record.update(status="diverged", test_accuracy=None)
    record["epochs"]["train_loss"][-1] = float("nan")
    record["epochs"]["val_loss"][-1] = None
    assert records.validate(record) is record


# --- what Python's JSON reader accepts but the format does not ------------------------------------


NOT_JSON = {
    # case: (text, words of the expectation)
    "NaN": ('{"a": NaN}', "NaN is not one"),
    "Infinity": ('{"a": Infinity}', "Infinity is not one"),
    "-Infinity": ('{"a": -Infinity}', "-Infinity is not one"),
    "1e999": ('{"a": 1e999}', "1e999 is out of range"),
    "a 5000-digit number": ('{"a": 1' + "0" * 5000 + "}", "at most 30 digits"),
    "a repeated key": ('{"a": 1, "a": 2}', "'a' appears more than once"),
    "nesting 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested at most 32 deep"),
    "nesting 40 deep": ('{"a": ' + "[" * 40 + "]" * 40 + "}", "nested at most 32 deep"),
    "a lone surrogate": ('{"a": "\\ud800"}', "lone surrogate"),
    "a byte-order mark": ("\ufeff{}", "without BOM"),
}


@pytest.mark.parametrize("case", sorted(NOT_JSON))
def test_what_json_does_not_allow_is_a_clear_error(tmp_path, case):
    text, expected = NOT_JSON[case]
    error = _error_for(tmp_path, text)
    assert error.field == "(file)" and expected in str(error)


def test_a_failed_write_leaves_no_temp_file(tmp_path, monkeypatch):
    import errno
    import os

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "r.json"
    for _ in range(2):  # each retry used to leave another
        with pytest.raises(OSError) as error:
            records.atomic_write_bytes(target, b"x" * 10_000)
        assert error.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []


def test_a_metric_column_takes_the_range_its_name_ends_in(tmp_path):
    record = valid_record()
    record["epochs"]["val_digit_accuracy"] = [0.5, 1.5]
    error = _error_for(tmp_path, record)
    assert error.field == "epochs.val_digit_accuracy[1]" and "fraction" in str(error)
