"""The run record: the one contract between the torch side and the site side.

One JSON file per (investigation, variant, seed) under ``runs/<investigation>/``. This module is
the only writer and the only reader of those files, and it imports no torch: the site uses it.

Layout choices, and why:

- Per-epoch values are stored as *columns* (``{"val_accuracy": [...], ...}``), one line per
  column, not as a list of per-epoch objects: a 3,000-epoch run is then ~150 KB instead of
  ~600 KB, and appending an epoch changes one line per column in a diff.
- Floats in the columns are written to 6 significant digits (training runs in float32, whose
  noise is far above that), and non-finite values (a diverged loss) as ``null``, because JSON
  has no NaN and browsers refuse it.
- Files are written atomically (temp file, fsync, rename, fsync of the folder): after a crash
  at any moment a record is either its old version or its new one.
- A record with another schema version is refused with a message that says what to do; old
  versions are brought forward by functions named ``update_to_N``, in memory: a committed
  record is never rewritten just to migrate it.

Schema 2 (over 1) makes the record open to other problems and recipes: the number of
``classes``, the ``engine`` that trained the run, ``config.problem``, ``config.schedule`` and
``config.init``, ``flops.profiler_complete``, extra per-epoch metric columns beside the fixed ones,
and ``predictions``: the final model's predicted class of every validation and test image.

Schema 3 (over 2) makes the record open to problems that are not classification: the epoch
columns and test values beyond the fixed ones are the metrics the record's problem declares
(``catalogue.Problem.metrics``: ``val_accuracy`` and ``test_accuracy`` for a classifier,
``val_mae`` and ``test_mae`` for a regression of the digit's value), each checked against its
declared range; ``classes`` is null for a problem that predicts a value; and ``predictions``
declares how its per-image values are stored (``dtype``: ``uint8``, one class a byte, or
``float32``, one value in four little-endian bytes), so the same field serves any task.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from battleground.core import catalogue, files
from battleground.core.config import SETTINGS, TrainConfig, check_setting
from battleground.core.values import SEED_RANGE, is_number, is_seed, is_whole, lookup, printable

SCHEMA = 3
STATUSES = ("running", "complete", "diverged", "interrupted")
# Every record has these columns, and one ``val_<metric>`` for each metric its problem declares
# (``catalogue.Problem.metrics``); it may keep further metric columns of its own.
EPOCH_COLUMNS = ("epoch", "train_loss", "val_loss", "seconds", "cumulative_flops")
_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PREDICTION_SPLITS = ("val", "test")
# a predictions' dtype (catalogue.PREDICTIONS) -> its bytes: little-endian whatever the machine
PREDICTION_DTYPES = {"uint8": np.dtype("u1"), "float32": np.dtype("<f4")}
# runs/benchmarks/ holds ``battleground bench`` results (battleground/core/benchmarks.py), not run
# records: no investigation may take its name, and listing every investigation skips it.
BENCHMARKS_FOLDER = "benchmarks"
# runs/splits/ holds the validation/test split indices (battleground/core/splits.py), not records.
SPLITS_FOLDER = "splits"
RESERVED_FOLDERS = (BENCHMARKS_FOLDER, SPLITS_FOLDER)
# Where ``battleground run --smoke`` writes without ``--runs-dir``: a smoke run checks that the code
# trains, so its records stay out of runs/ (and out of git: .gitignore names the folder).
SMOKE_RUNS_DIR = "runs-smoke"

_INT = "a whole number"
_NUM = "a number"
_STR = "a string"
_DICT = "an object"
_OPT_NUM = "a number or null"
_BOOL = "true or false"

# (dotted field, what it must be). Checked in this order, so the first problem named is the
# outermost one.
_FIELDS: tuple[tuple[str, str], ...] = (
    ("schema", _INT),
    ("investigation", _STR),
    ("variant", _STR),
    ("seed", _INT),
    ("status", "one of " + ", ".join(STATUSES)),
    ("model", _DICT),
    ("model.family", _STR),
    ("model.params", _DICT),
    ("model.parameters", _INT),
    ("engine", _STR),
    ("config", _DICT),
    ("config.problem", _STR),
    ("config.dataset", _STR),
    ("config.batch_size", _INT),
    ("config.optimizer", _STR),
    ("config.lr", _NUM),
    ("config.schedule", _STR),
    ("config.init", _STR),
    ("config.loss", _STR),
    ("config.budget_s", _NUM),
    ("config.val_split_seed", _INT),
    ("flops", _DICT),
    ("flops.per_step_profiler", _INT),
    ("flops.per_step_complete", _INT),
    ("flops.steps_per_epoch", _INT),
    ("flops.profiler_complete", _BOOL),
    ("timed_epoch_s", _OPT_NUM),
    ("environment", _DICT),
    ("environment.device", _STR),
    ("environment.torch", _STR),
    ("environment.python", _STR),
    ("environment.code_version", _STR),
    ("epochs", _DICT),
)  # classes, test_<metric> and the metric columns depend on the problem: _validate_problem


class FieldError(ValueError):
    """Input that cannot be used, naming the file, the field and what was expected."""

    def __init__(self, path: Path | str, field: str, expected: str, found: Any = ...):
        self.path, self.field, self.expected = str(path), field, expected
        # a file's name is input too: escaped, it cannot reach a terminal as a control sequence
        message = f"{printable(str(path))}: field '{field}': expected {expected}"
        if found is not ...:
            shown = repr(found)
            message += f", found {shown[:80] + '…' if len(shown) > 80 else shown}"
        super().__init__(message)


def read_text(path: Path | str, error: type[FieldError]) -> str:
    """A JSON file's text; anything but a regular, readable UTF-8 file (a folder, a named pipe, a
    broken link, a file-system error) is an ``error`` naming it (see :mod:`battleground.core.files`)."""
    data = files.read_regular_bytes(path, error, "a JSON file", "move it out of the way or put the file in its place")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(path, "(file)", "UTF-8 JSON text") from None


def parse_json(text: str, path: Path | str, error: type[FieldError]) -> Any:
    """``text`` as JSON; text that is not (a file cut short, say), or that uses what Python's
    reader accepts but JSON does not (see :func:`strict_json`), is an ``error`` naming where."""
    try:
        return strict_json(text)
    except json.JSONDecodeError as problem:
        if problem.msg.startswith("Unexpected UTF-8 BOM"):
            raise error(path, "(file)", "JSON text without a byte-order mark (U+FEFF) before it; "
                        "save the file as UTF-8 without BOM") from None
        raise error(path, "(file)", f"valid JSON; the file is unreadable at line {problem.lineno} column "
                    f"{problem.colno} ({problem.msg}), perhaps truncated") from None
    except _NotJSON as problem:
        raise error(path, "(file)", str(problem)) from None


class _NotJSON(ValueError):
    pass


MAX_DEPTH = 32  # records nest 4 deep, benchmark files 5
MAX_DIGITS = 30  # a FLOP count of a year on a thousand GPUs has 26


def _refuse_constant(name: str):
    raise _NotJSON(f"JSON numbers; {name} is not one (write a diverged value as null)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJSON(f"numbers a float can hold; {text[:40]} is out of range")
    return value


def _whole(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _NotJSON(f"whole numbers of at most {MAX_DIGITS} digits, found one of {len(text)}")
    return int(text)


def _unique_keys(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _NotJSON(f"each key once in an object; {repeated[:40]!r} appears more than once")
    return result


def strict_json(text: str) -> Any:
    """``json.loads``, refusing what Python's reader accepts but JSON (RFC 8259) does not or our
    files cannot use: NaN and Infinity, numbers beyond a float (``1e999``) or of more than
    :data:`MAX_DIGITS` digits, repeated keys, nesting deeper than :data:`MAX_DEPTH`, and text with
    lone surrogates (``"\\ud800"``), which no page can be written in. Raises
    ``json.JSONDecodeError`` or a ``ValueError`` that says what was expected."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_whole, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise _NotJSON(f"JSON nested at most {MAX_DEPTH} deep; this is nested too deep to read") from None
    stack = [(value, 1)]
    while stack:  # iterative: a deep value must not overflow the checker itself
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise _NotJSON(f"JSON nested at most {MAX_DEPTH} deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _NotJSON(f"text of Unicode characters; {item[:40]!r} holds a lone surrogate "
                               "escape such as \\ud800") from None
    return value


class RecordError(FieldError):
    """A run record that cannot be used."""


def file_stem(variant_name: str) -> str:
    """A file-name-safe form of a variant name: ``SimpleNet2[activation=ReLU,depth=0]`` ->
    ``SimpleNet2_activation-ReLU_depth-0``."""
    # Anything else, '/' included, becomes '_': a variant name can never reach another folder.
    return re.sub(r"[^A-Za-z0-9.-]+", "_", variant_name.replace("=", "-")).strip("_.") or "_"


def record_path(runs_dir: Path | str, investigation: str, variant_name: str, seed: int) -> Path:
    """Where the record of one (investigation, variant, seed) lives."""
    return Path(runs_dir) / investigation / f"{file_stem(variant_name)}.seed{seed}.json"


# --- validation ---------------------------------------------------------------------------------


def _is(value: Any, expected: str) -> bool:
    if expected == _INT:
        return is_whole(value)
    if expected == _NUM:
        return is_number(value)
    if expected == _OPT_NUM:
        return value is None or is_number(value)
    if expected == _STR:
        return isinstance(value, str)
    if expected == _DICT:
        return isinstance(value, dict)
    if expected == _BOOL:
        return isinstance(value, bool)
    return value in STATUSES  # the status field


def validate(record: Any, path: Path | str = "<record>") -> dict:
    """Return ``record`` if it is a valid current-schema record; else raise :class:`RecordError`."""
    if not isinstance(record, dict):
        raise RecordError(path, "(top level)", "a JSON object", type(record).__name__)
    for dotted, expected in _FIELDS:
        value = lookup(record, dotted)
        if value is ...:
            raise RecordError(path, dotted, f"{expected} (the field is missing)")
        if not _is(value, expected):
            raise RecordError(path, dotted, expected, value)
    check_text(record, path, RecordError, skip=("epochs",))  # the columns are checked as numbers
    _validate_names(record, path)
    _validate_problem(record, path)
    _validate_epochs(record, path)
    _validate_ranges(record, path)
    _validate_prediction_counts(record, path)
    _validate_predictions(record, path)
    _validate_resumed(record, path)
    if not isinstance(record.get("smoke", False), bool):
        raise RecordError(path, "smoke", "true or false (true: a smoke run's record, `battleground run --smoke`)",
                          record["smoke"])
    headline = f"test_{problem_of(record).headline.name}"
    if record["status"] == "complete" and record[headline] is None:
        raise RecordError(path, headline, "a number once status is 'complete'", None)
    return record


def problem_of(record: dict) -> catalogue.Problem:
    """The catalogue's declaration of a valid record's problem."""
    return catalogue.PROBLEMS[record["config"]["problem"]]


def _validate_problem(record: dict, path: Path | str) -> None:
    # What the record's problem declares: whether it has classes, and a test value of each metric
    # summarised by one (test_accuracy, test_mae), in the metric's range.
    problem = problem_of(record)
    classes = record.get("classes", ...)
    if problem.classifies:
        expected = f"a whole number >= 2 (the classes problem {problem.name} predicts)"
        if classes is ... or not (is_whole(classes) and classes >= 2):
            raise RecordError(path, "classes", expected + (" (the field is missing)" if classes is ... else ""),
                              *(() if classes is ... else (classes,)))
    elif classes is not ... and classes is not None:
        raise RecordError(path, "classes", f"null (problem {problem.name} predicts a value, not a class)", classes)
    for metric in problem.metrics:
        if "test" not in metric.summaries:
            continue
        name, expected = f"test_{metric.name}", f"{metric.expected}, or null"
        found = record.get(name, ...)
        if found is ...:
            raise RecordError(path, name, f"{expected} (the field is missing)")
        if found is not None and not (is_number(found) and math.isfinite(found) and metric.holds(found)):
            raise RecordError(path, name, expected, found)


_TEXT = "printable text (no control characters, line breaks or escape sequences)"


def check_text(data: dict, path: Path | str, error: type[FieldError], skip: tuple[str, ...] = ()) -> None:
    """Raise ``error`` naming the first string or key of ``data`` (its top-level fields in
    ``skip`` aside) that is not printable text.

    What a record holds reaches terminals (``battleground list``), shell commands the site offers
    to copy and spreadsheets: a line break in a variant name once ended the comment of a copied
    command and ran what followed."""
    stack = [(key, value) for key, value in data.items() if key not in skip]
    while stack:
        dotted, value = stack.pop()
        if isinstance(value, str) and not value.isprintable():
            raise error(path, dotted, _TEXT, value)
        if isinstance(value, dict):
            for key, item in value.items():
                if not key.isprintable():
                    raise error(path, dotted, f"keys of {_TEXT}", key)
                stack.append((f"{dotted}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{dotted}[{i}]", item) for i, item in enumerate(value))


def _validate_names(record: dict, path: Path | str) -> None:
    # Every field that names something (a data set, a problem, a model family and its parameters,
    # an optimizer, a schedule, an initialisation) must name what the catalogue holds: the site
    # builds file paths (runs/splits/<dataset>-...) and looks up tables by these names, so a record
    # from elsewhere must not reach a file or a lookup with a name of its own making.
    model = record["model"]
    if model["family"] not in catalogue.FAMILIES:
        raise RecordError(path, "model.family", "one of the catalogue's model families: "
                          + ", ".join(catalogue.FAMILIES), model["family"])
    family = catalogue.FAMILIES[model["family"]]
    for param in family.params:
        value = model["params"].get(param.name, param.default)
        if value is catalogue.REQUIRED:
            raise RecordError(path, f"model.params.{param.name}", f"{param.expected} (the field is missing)")
        if not catalogue.KINDS[param.kind][1](tuple(value) if isinstance(value, list) else value):
            raise RecordError(path, f"model.params.{param.name}", param.expected, value)
    for key in model["params"]:
        if family.param(key) is None:
            raise RecordError(path, f"model.params.{key}", f"a parameter of {family.name}: "
                              + (", ".join(p.name for p in family.params) or "it takes none"))
    config = record["config"]
    for key, value in config.items():
        if key not in SETTINGS:
            raise RecordError(path, f"config.{key}", "one of the training settings "
                              f"{', '.join(SETTINGS)} (a record of a newer version? update this checkout)")
        try:
            check_setting(key, value)
        except ValueError as error:
            raise RecordError(path, f"config.{key}", str(error).split(": expected ", 1)[-1]) from None
    try:  # settings that only mean something together (a StepLR schedule without step_size, say)
        TrainConfig(**config)
    except ValueError as error:
        raise RecordError(path, "config", f"training settings that agree ({error})") from None


def _validate_prediction_counts(record: dict, path: Path | str) -> None:
    # How often each class was predicted on validation after the latest epoch: a network that
    # collapsed to one class shows as a single non-zero count. Null until an epoch has finished.
    name = "val_prediction_counts"
    if not problem_of(record).classifies:
        if record.get(name) is not None:
            raise RecordError(path, name, f"null (problem {record['config']['problem']} predicts no classes)",
                              record[name])
        return
    expected = f"a list of {record['classes']} whole numbers >= 0 (one per class)"
    if name not in record:
        raise RecordError(path, name, f"{expected} or null (the field is missing)")
    counts = record[name]
    if counts is None:
        if record["status"] == "complete":
            raise RecordError(path, name, f"{expected} once status is 'complete'", None)
        return
    if not (isinstance(counts, list) and len(counts) == record["classes"]
            and all(is_whole(c) and c >= 0 for c in counts)):
        raise RecordError(path, name, expected, counts)


def _validate_predictions(record: dict, path: Path | str) -> None:
    # The final model's prediction for every validation and test image (a class, or a value),
    # base64 of the declared dtype's bytes, so the site can compare models image by image; null
    # until the run is complete.
    name = "predictions"
    problem = problem_of(record)
    dtype = catalogue.PREDICTIONS[problem.predicts]
    expected = (f"null or an object with 'dtype' ({dtype!r} for problem {problem.name}), 'val' and 'test': "
                f"base64 text of one {dtype} per image")
    if name not in record:
        raise RecordError(path, name, f"{expected} (the field is missing)")
    found = record[name]
    if found is None:
        return
    if not (isinstance(found, dict) and set(found) == {"dtype", *PREDICTION_SPLITS}):
        raise RecordError(path, name, expected, found)
    if found["dtype"] != dtype:
        raise RecordError(path, f"{name}.dtype", f"{dtype!r}: problem {problem.name} predicts a {problem.predicts}",
                          found["dtype"])
    images = record.get("data") if isinstance(record.get("data"), dict) else {}
    for split in PREDICTION_SPLITS:
        try:
            values = decode_values(found[split], dtype)
        except ValueError:
            raise RecordError(path, f"{name}.{split}", f"base64 text of one {dtype} per image", found[split]) from None
        count = images.get(f"{split}_images")
        if is_whole(count) and len(values) != count:
            raise RecordError(path, f"{name}.{split}", f"one {problem.predicts} for each of the {count} {split} "
                              f"images (data.{split}_images)", f"{len(values)} values")
        if problem.classifies and len(values) and int(values.max()) >= record["classes"]:
            raise RecordError(path, f"{name}.{split}", f"classes below {record['classes']}", int(values.max()))
        if not problem.classifies and not np.isfinite(values).all():
            raise RecordError(path, f"{name}.{split}", "finite values", "a NaN or an infinity")


def _validate_resumed(record: dict, path: Path | str) -> None:
    # Optional: each time the run resumed from a checkpoint, after which epoch and when (UTC),
    # oldest first; a run trained in one go has none.
    found = record.get("resumed", ...)
    if found is ...:
        return
    expected = ("a list of {\"epoch\": N, \"at\": time} in order, N a whole number no greater than the "
                "epochs recorded")
    epochs = len(record["epochs"]["epoch"]) if isinstance(record["epochs"].get("epoch"), list) else 0
    if not isinstance(found, list):
        raise RecordError(path, "resumed", expected, found)
    previous = 0
    for i, entry in enumerate(found):
        if not (isinstance(entry, dict) and set(entry) == {"epoch", "at"} and is_whole(entry["epoch"])
                and previous <= entry["epoch"] <= epochs and isinstance(entry["at"], str)):
            raise RecordError(path, f"resumed[{i}]", expected, entry)
        previous = entry["epoch"]


def is_smoke(record: dict) -> bool:
    """Whether ``record`` is a smoke run's (``battleground run --smoke``, optional field ``smoke``):
    a check that the code trains, never one of its investigation's runs. Listing, planning and
    training count it for smoke runs only, and the site refuses it."""
    return record.get("smoke", False) is True


def encode_classes(classes: Iterable[int]) -> str:
    """Predicted classes (whole numbers 0..255, any integer array or list) as compact text for a
    record: base64 of one byte each (8,000 validation images take 10,668 characters)."""
    values = np.asarray(list(classes) if not hasattr(classes, "__array__") else classes)
    if values.ndim != 1 or (values.size and (not np.issubdtype(values.dtype, np.integer)
                                             or values.min() < 0 or values.max() > 255)):
        raise ValueError(f"expected a 1-D array of classes 0..255, found {values.dtype} of shape {values.shape}")
    return base64.b64encode(values.astype(np.uint8).tobytes()).decode("ascii")


def decode_classes(text: Any) -> np.ndarray:
    """The uint8 array :func:`encode_classes` wrote as ``text``; ``ValueError`` if it is not such text."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise ValueError(str(error)) from None
    return np.frombuffer(raw, dtype=np.uint8).copy()


def encode_values(values: Iterable, dtype: str) -> str:
    """Per-image values (any array or list) as compact text for a record: base64 of their bytes in
    ``dtype`` (a key of :data:`PREDICTION_DTYPES`), little-endian. Classes go through
    :func:`encode_classes`, which checks they fit a byte."""
    if dtype == "uint8":
        return encode_classes(values)
    array = np.asarray(list(values) if not hasattr(values, "__array__") else values, dtype=PREDICTION_DTYPES[dtype])
    if array.ndim != 1:
        raise ValueError(f"expected a 1-D array of values, found shape {array.shape}")
    return base64.b64encode(array.tobytes()).decode("ascii")


def decode_values(text: Any, dtype: str) -> np.ndarray:
    """The array :func:`encode_values` wrote as ``text``; ``ValueError`` if it is not such text."""
    raw = decode_classes(text)  # the bytes, one uint8 each
    item = PREDICTION_DTYPES[dtype]
    if len(raw) % item.itemsize:
        raise ValueError(f"{len(raw)} bytes are no whole number of {dtype} values")
    return raw.view(item).astype(item.newbyteorder("="))


def encode_predictions(val: Iterable, test: Iterable, dtype: str) -> dict:
    """The record's ``predictions`` field: every validation and test image's prediction in ``dtype``."""
    return {"dtype": dtype, "val": encode_values(val, dtype), "test": encode_values(test, dtype)}


def predictions(record: dict, split: str) -> np.ndarray | None:
    """The final model's prediction of every image of ``split`` (``val`` or ``test``) in a valid
    record: classes as uint8, values as float32; None before the run is complete."""
    found = record.get("predictions")
    return None if found is None else decode_values(found[split], found["dtype"])


def predicted_classes(record: dict, split: str) -> np.ndarray | None:
    """The final model's class for every image of ``split``, as :func:`predictions` gives it; None
    before the run is complete, or for a problem that predicts values, not classes (comparing
    answers image by image, as McNemar's test and the zoo's votes do, needs classes)."""
    return predictions(record, split) if problem_of(record).classifies else None


def metric_columns(record: dict) -> list[str]:
    """The record's per-epoch columns beyond the fixed ones: its problem's metrics and any it
    added, sorted."""
    return sorted(name for name in record["epochs"] if name not in EPOCH_COLUMNS)


def _validate_epochs(record: dict, path: Path | str) -> None:
    columns = record["epochs"]
    lengths = set()
    for name in columns:
        if name not in EPOCH_COLUMNS and not (isinstance(name, str) and _COLUMN_NAME.match(name)):
            raise RecordError(path, f"epochs.{name}", "a column name of lower-case letters, digits and '_'")
    declared = tuple(m.column for m in problem_of(record).metrics)  # the problem's: required
    for name in dict.fromkeys((*EPOCH_COLUMNS, *declared, *metric_columns(record))):
        values = columns.get(name, ...)
        if values is ...:
            raise RecordError(path, f"epochs.{name}", "a list (the column is missing)")
        if not isinstance(values, list):
            raise RecordError(path, f"epochs.{name}", "a list", values)
        for i, value in enumerate(values):
            if not (value is None or is_number(value)):
                raise RecordError(path, f"epochs.{name}[{i}]", "a number or null", value)
        lengths.add(len(values))
    if len(lengths) > 1:
        counts = {name: len(values) for name, values in columns.items()}
        raise RecordError(path, "epochs", "columns of equal length", counts)
    if columns["epoch"] != list(range(1, len(columns["epoch"]) + 1)):
        raise RecordError(path, "epochs.epoch", "1, 2, 3, … in order", columns["epoch"][:5])


# --- physical ranges ----------------------------------------------------------------------------
# A value of the right type can still be impossible (an accuracy of 5.0, a negative time): each
# field and each epoch column says here what values it may hold, so a new metric column declares
# its range where it is added.


def _at_least(low: float, null: bool = False, nonfinite: bool = False):
    def check(value: Any) -> bool:
        if value is None:
            return null
        if not math.isfinite(value):
            return nonfinite
        return value >= low
    return check


_LOSS = "a number >= 0, or null (diverged)"

# field -> (check, what it must be); applied once the field's type is known to be right
FIELD_RANGES: dict[str, tuple[Any, str]] = {
    "seed": (is_seed, SEED_RANGE),
    "model.parameters": (_at_least(0), "a count >= 0"),
    # For one input: elements of every intermediate tensor, and the layers run (models.footprint);
    # optional, since records written before they were measured lack them.
    "model.memory": (lambda v: is_whole(v) and v >= 0, "a whole number of elements >= 0"),
    "model.operations": (lambda v: is_whole(v) and v >= 0, "a whole number of layers >= 0"),
    "flops.per_step_profiler": (_at_least(0), "a count >= 0"),
    "flops.per_step_complete": (_at_least(0), "a count >= 0"),
    "flops.steps_per_epoch": (_at_least(0), "a count >= 0"),
    "timed_epoch_s": (_at_least(0, null=True), "a number of seconds >= 0, or null"),
}  # test_<metric>: the metric's declared range (_validate_problem)
# epoch column -> (check of each value, what it must be). A diverged loss is non-finite in
# memory (the checkpoint keeps NaN) and null on disk.
COLUMN_RANGES: dict[str, tuple[Any, str]] = {
    "epoch": (_at_least(1), "a whole number >= 1"),
    "train_loss": (_at_least(0, null=True, nonfinite=True), _LOSS),
    "val_loss": (_at_least(0, null=True, nonfinite=True), _LOSS),
    "seconds": (_at_least(0), "a number of seconds >= 0"),
    "cumulative_flops": (_at_least(0), "a count >= 0"),
}
NON_DECREASING = ("cumulative_flops",)  # running totals: a value below the one before is impossible


def _declared_range(metric: catalogue.Metric) -> tuple[Any, str]:
    # null: an epoch the model could not give the metric for (a model without digit logits)
    return (lambda v: v is None or (math.isfinite(v) and metric.holds(v)), f"{metric.expected}, or null")


# A metric column of a problem the catalogue does not declare it for has the range its name ends
# in: val_top5_accuracy is a fraction.
METRIC_SUFFIX_RANGES: dict[str, tuple[Any, str]] = {"accuracy": _declared_range(catalogue.ACCURACY),
                                                     "loss": COLUMN_RANGES["val_loss"]}


def column_range(name: str, problem: str | None = None) -> tuple[Any, str] | None:
    """The (check, expectation) of an epoch column: a fixed column's, else the range the record's
    ``problem`` declares for the metric (:class:`catalogue.Metric`), else by its name's ending;
    None: any number."""
    if name in COLUMN_RANGES:
        return COLUMN_RANGES[name]
    declared = catalogue.PROBLEMS.get(problem) if isinstance(problem, str) else None
    metric = next((m for m in declared.metrics if m.column == name), None) if declared else None
    if metric is not None:
        return _declared_range(metric)
    return next((r for suffix, r in METRIC_SUFFIX_RANGES.items() if name.endswith(suffix)), None)


def _validate_ranges(record: dict, path: Path | str) -> None:
    for dotted, (check, expected) in FIELD_RANGES.items():
        value = lookup(record, dotted)
        if value is not ... and not check(value):
            raise RecordError(path, dotted, expected, value)
    columns = record["epochs"]
    for name, values in columns.items():
        found = column_range(name, record["config"]["problem"])
        if found is None:
            continue
        check, expected = found
        for i, value in enumerate(values):
            if not check(value):
                raise RecordError(path, f"epochs.{name}[{i}]", f"{expected} (epoch {i + 1})", value)
    for name in NON_DECREASING:
        values = columns.get(name, ())
        for i in range(1, len(values)):
            if values[i] < values[i - 1]:
                raise RecordError(path, f"epochs.{name}[{i}]", f"a value >= epoch {i}'s {values[i - 1]} "
                                  f"(a running total never decreases) (epoch {i + 1})", values[i])


# --- reading ------------------------------------------------------------------------------------

# Migrations: ``update_to_N(record) -> record`` brings a version N-1 record to version N.


def update_to_2(record: dict) -> dict:
    """Schema 1 -> 2, unchanged in meaning: every version-1 run is a ten-class MNIST-shaped
    classifier trained with a constant learning rate from PyTorch's default initialisation;
    which step trained it was not recorded; the profiler counted every layer's forward pass
    (linear and 2-D convolution layers only); no per-image predictions were kept."""
    config = {"problem": "classify", "schedule": "none", "init": "default", **record.get("config", {})}
    flops = record.get("flops")
    if isinstance(flops, dict):
        flops = {"profiler_complete": True, **flops}
    return {**record, "schema": 2, "classes": 10, "engine": "unrecorded", "config": config, "flops": flops,
            "predictions": None}


def update_to_3(record: dict) -> dict:
    """Schema 2 -> 3, unchanged in meaning: a version-2 record's predictions are classes, one
    byte each, which version 3 says in their ``dtype``; its metric columns and test values
    (``val_accuracy``, ``test_accuracy``, ``val_digit_accuracy``) are the ones its problem
    declares, and its ``classes`` are its problem's, so nothing else changes."""
    predictions = record.get("predictions")
    if isinstance(predictions, dict):
        record = {**record, "predictions": {"dtype": "uint8", **predictions}}
    return {**record, "schema": 3}


MIGRATIONS: dict[int, Any] = {2: update_to_2, 3: update_to_3}


def _upgrade(record: dict, path: Path | str) -> dict:
    version = record.get("schema", ...)
    if version is ...:
        raise RecordError(path, "schema", f"schema version {SCHEMA} (the field is missing)")
    if not is_whole(version):
        raise RecordError(path, "schema", "a whole number", version)
    if version > SCHEMA:
        raise RecordError(
            path, "schema", f"version {SCHEMA} or older; this record was written by a newer "
            "version of MNIST Battleground, so update this checkout (git pull) to read it", version
        )
    while version < SCHEMA:
        step = MIGRATIONS.get(version + 1)
        if step is None:
            raise RecordError(
                path, "schema", f"version {SCHEMA}; no migration exists from version {version}, "
                "so re-run this variant to write a current record", version
            )
        record = step(record)
        version = record["schema"]
    return record


def parse_record(text: str, path: Path | str = "<record>") -> dict:
    """Parse, upgrade and validate a record's JSON text."""
    record = parse_json(text, path, RecordError)
    if not isinstance(record, dict):
        raise RecordError(path, "(top level)", "a JSON object", type(record).__name__)
    return validate(_upgrade(record, path), path)


def load_record(path: Path | str) -> dict:
    """Read one record; any problem is a :class:`RecordError` naming this file and the field."""
    return parse_record(read_text(path, RecordError), path)


def record_files(runs_dir: Path | str, investigation: str | None = None) -> list[Path]:
    """The record files under ``runs_dir`` (of one investigation, if named), sorted; the
    benchmark results in ``runs/benchmarks/`` are not records."""
    root = Path(runs_dir)
    folders = [root / investigation] if investigation else sorted(
        p for p in root.glob("*") if p.is_dir() and p.name not in RESERVED_FOLDERS)
    # a file (or a broken link) where the folder belongs is an error, not an investigation without runs
    kept = [folder for folder in folders if files.folder_or_none(folder, RecordError, "a folder of run records")]
    return sorted(f for folder in kept for f in folder.glob("*.json"))


def load_runs(runs_dir: Path | str, investigation: str | None = None) -> list[dict]:
    """Every record under ``runs_dir`` (of one investigation, if named), sorted by file name."""
    return [load_record(f) for f in record_files(runs_dir, investigation)]


# --- writing ------------------------------------------------------------------------------------


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "null"
    if is_whole(value):
        return str(value)
    return format(float(value), ".6g")


def dumps(record: dict) -> str:
    """The record as text: sorted keys, one line per field, one line per epoch column."""
    columns = record["epochs"]
    placeholders = {name: f"@column:{name}@" for name in columns}
    text = json.dumps({**record, "epochs": placeholders}, indent=1, sort_keys=True, allow_nan=False)
    for name, values in columns.items():
        text = text.replace(json.dumps(placeholders[name]), "[" + ", ".join(map(_number, values)) + "]")
    return text + "\n"


def checked_text(path: Path | str, record: dict) -> str:
    """``record`` as the text :func:`write_record` puts at ``path``, validated as it will be read
    back (after number formatting); an invalid record is a :class:`RecordError`."""
    text = dumps(record)
    validate(json.loads(text), path)
    return text


def write_text(path: Path | str, text: str) -> Path:
    """Write a record's :func:`checked_text` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
    return Path(path)


def write_record(path: Path | str, record: dict) -> Path:
    """Validate ``record`` and write it atomically; an invalid record never reaches the disk."""
    return write_text(path, checked_text(path, record))


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:  # a full disk, say: no temp file the size of the free space stays behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename is None:
            error.filename = str(path)  # a failed write() names no file: name the one being written
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
