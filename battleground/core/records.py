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

from battleground.core import files
from battleground.core.values import SEED_RANGE, is_number, is_seed, is_whole, lookup

SCHEMA = 2
STATUSES = ("running", "complete", "diverged", "interrupted")
# Every record has these columns; a problem may add metric columns of its own (``val_<metric>``).
EPOCH_COLUMNS = ("epoch", "train_loss", "val_loss", "val_accuracy", "seconds", "cumulative_flops")
_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PREDICTION_SPLITS = ("val", "test")
# runs/benchmarks/ holds ``battleground bench`` results (battleground/core/benchmarks.py), not run
# records: no investigation may take its name, and listing every investigation skips it.
BENCHMARKS_FOLDER = "benchmarks"
# runs/splits/ holds the validation/test split indices (battleground/core/splits.py), not records.
SPLITS_FOLDER = "splits"
RESERVED_FOLDERS = (BENCHMARKS_FOLDER, SPLITS_FOLDER)

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
    ("classes", _INT),
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
    ("test_accuracy", _OPT_NUM),
)


class FieldError(ValueError):
    """Input that cannot be used, naming the file, the field and what was expected."""

    def __init__(self, path: Path | str, field: str, expected: str, found: Any = ...):
        self.path, self.field, self.expected = str(path), field, expected
        message = f"{path}: field '{field}': expected {expected}"
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
    if record["classes"] < 2:
        raise RecordError(path, "classes", "a whole number >= 2", record["classes"])
    _validate_epochs(record, path)
    _validate_ranges(record, path)
    _validate_prediction_counts(record, path)
    _validate_predictions(record, path)
    if record["status"] == "complete" and record["test_accuracy"] is None:
        raise RecordError(path, "test_accuracy", "a number once status is 'complete'", None)
    return record


def _validate_prediction_counts(record: dict, path: Path | str) -> None:
    # How often each class was predicted on validation after the latest epoch: a network that
    # collapsed to one class shows as a single non-zero count. Null until an epoch has finished.
    name = "val_prediction_counts"
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
    # The final model's class for every validation and test image, one byte each (base64), so
    # the site can compare models image by image; null until the run is complete.
    name = "predictions"
    expected = "null or an object with 'val' and 'test': base64 text of one byte per image"
    if name not in record:
        raise RecordError(path, name, f"{expected} (the field is missing)")
    found = record[name]
    if found is None:
        return
    if not (isinstance(found, dict) and set(found) == set(PREDICTION_SPLITS)):
        raise RecordError(path, name, expected, found)
    images = record.get("data") if isinstance(record.get("data"), dict) else {}
    for split in PREDICTION_SPLITS:
        try:
            classes = decode_classes(found[split])
        except ValueError:
            raise RecordError(path, f"{name}.{split}", "base64 text of one byte per image", found[split]) from None
        count = images.get(f"{split}_images")
        if is_whole(count) and len(classes) != count:
            raise RecordError(path, f"{name}.{split}", f"one class for each of the {count} {split} images "
                              f"(data.{split}_images)", f"{len(classes)} classes")
        if len(classes) and int(classes.max()) >= record["classes"]:
            raise RecordError(path, f"{name}.{split}", f"classes below {record['classes']}", int(classes.max()))


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


def metric_columns(record: dict) -> list[str]:
    """The record's per-epoch columns beyond the fixed ones: metrics its problem adds, sorted."""
    return sorted(name for name in record["epochs"] if name not in EPOCH_COLUMNS)


def _validate_epochs(record: dict, path: Path | str) -> None:
    columns = record["epochs"]
    lengths = set()
    for name in columns:
        if name not in EPOCH_COLUMNS and not (isinstance(name, str) and _COLUMN_NAME.match(name)):
            raise RecordError(path, f"epochs.{name}", "a column name of lower-case letters, digits and '_'")
    for name in (*EPOCH_COLUMNS, *metric_columns(record)):
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


def _fraction(value: Any) -> bool:
    return value is None or (math.isfinite(value) and 0 <= value <= 1)


_FRACTION = "a fraction from 0 to 1, or null"
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
    "test_accuracy": (_fraction, _FRACTION),
}
# epoch column -> (check of each value, what it must be). A diverged loss is non-finite in
# memory (the checkpoint keeps NaN) and null on disk.
COLUMN_RANGES: dict[str, tuple[Any, str]] = {
    "epoch": (_at_least(1), "a whole number >= 1"),
    "train_loss": (_at_least(0, null=True, nonfinite=True), _LOSS),
    "val_loss": (_at_least(0, null=True, nonfinite=True), _LOSS),
    "val_accuracy": (_fraction, _FRACTION),
    "seconds": (_at_least(0), "a number of seconds >= 0"),
    "cumulative_flops": (_at_least(0), "a count >= 0"),
}
NON_DECREASING = ("cumulative_flops",)  # running totals: a value below the one before is impossible
# A problem's own metric column has the range its name ends in: val_digit_accuracy is a fraction.
METRIC_SUFFIX_RANGES: dict[str, tuple[Any, str]] = {"accuracy": COLUMN_RANGES["val_accuracy"],
                                                     "loss": COLUMN_RANGES["val_loss"]}


def column_range(name: str) -> tuple[Any, str] | None:
    """The (check, expectation) of an epoch column, fixed or a problem's metric; None: any number."""
    if name in COLUMN_RANGES:
        return COLUMN_RANGES[name]
    return next((r for suffix, r in METRIC_SUFFIX_RANGES.items() if name.endswith(suffix)), None)


def _validate_ranges(record: dict, path: Path | str) -> None:
    for dotted, (check, expected) in FIELD_RANGES.items():
        value = lookup(record, dotted)
        if value is not ... and not check(value):
            raise RecordError(path, dotted, expected, value)
    columns = record["epochs"]
    for name, values in columns.items():
        if column_range(name) is None:
            continue
        check, expected = column_range(name)
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


MIGRATIONS: dict[int, Any] = {2: update_to_2}


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
    return sorted(f for folder in folders if folder.is_dir() for f in folder.glob("*.json"))


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


# A network that has collapsed predicts (almost) one class for every image. MNIST's ten classes
# are each 9-11% of the validation images, so a working classifier spreads its predictions about
# evenly; one class taking 99% of them caps accuracy near that class's share (11.35% for the
# digit 1, the largest). 99% rather than 100% still catches a net that sends a handful of images
# elsewhere through float noise, and stays far above any net that has learned anything.
COLLAPSE_SHARE = 0.99


def collapsed(record: dict) -> bool:
    """True when one class takes at least :data:`COLLAPSE_SHARE` of the run's final validation
    predictions (``val_prediction_counts``); False when there are no counts yet."""
    counts = record.get("val_prediction_counts")
    total = sum(counts) if counts else 0
    return total > 0 and max(counts) >= COLLAPSE_SHARE * total


def epoch_rows(record: dict) -> Iterable[dict]:
    """The per-epoch columns as rows, for code that thinks in epochs."""
    columns = record["epochs"]
    for i in range(len(columns["epoch"])):
        yield {name: values[i] for name, values in columns.items()}
