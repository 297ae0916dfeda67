"""The benchmark results file: what ``battleground bench`` writes and the performance page reads.

One JSON file per device, committed as ``runs/benchmarks/<device-slug>.json``. This module reads
and checks those files and imports no torch, so the site can use it; ``battleground bench``
checks what it writes with it too.

Schema version 1::

    schema, device, environment{device, torch, code_version, ...}, python, torch,
    settings{epochs, warmup, batch_models, train_images, batch_size, lr},
    results{<family>: {variant, seconds_per_epoch{<contender>: [...]}, median_s{<contender>: s},
                       trainer_speedup_vs_tutorial, model_epochs_per_s{<contender>: n},
                       [batched_models, batched_speedup_vs_trainer]}}

The contenders are an open set: ``tutorial`` (the baseline every ratio is taken against) and
``trainer`` are always there; ``python_loop``, ``autograd``, ``cuda_graph``, ``batched`` or a
future ``compiled`` may be. A reader must show any contender it finds, not a list it knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from battleground.core.records import BENCHMARKS_FOLDER, FieldError, check_text, parse_json, read_text
from battleground.core.values import is_number, is_whole, lookup

SCHEMA = 1
BASELINE = "tutorial"  # every ratio is taken against the pytorch/examples loop
REQUIRED_CONTENDERS = (BASELINE, "trainer")
KNOWN_ORDER = ("tutorial", "trainer", "python_loop", "autograd", "cuda_graph", "batched")  # how pages list them; others follow


class BenchmarkError(FieldError):
    """A benchmark results file that cannot be used."""


def _is_positive(value: Any) -> bool:
    return is_number(value) and value > 0


# (dotted field, what it must be, check) of the file's top level and settings, in reading order
_TOP = (
    ("device", "a string", lambda v: isinstance(v, str)),
    ("environment", "an object", lambda v: isinstance(v, dict)),
    ("environment.torch", "a string", lambda v: isinstance(v, str)),
    ("environment.code_version", "a string", lambda v: isinstance(v, str)),
    ("python", "a string", lambda v: isinstance(v, str)),
    ("torch", "a string", lambda v: isinstance(v, str)),
    ("settings", "an object", lambda v: isinstance(v, dict)),
    ("settings.epochs", "a whole number >= 1", lambda v: is_whole(v) and v >= 1),
    ("settings.warmup", "a whole number >= 0", lambda v: is_whole(v) and v >= 0),
    ("settings.batch_models", "a whole number >= 1", lambda v: is_whole(v) and v >= 1),
    ("settings.train_images", "a whole number >= 1", lambda v: is_whole(v) and v >= 1),
    ("settings.batch_size", "a whole number >= 1", lambda v: is_whole(v) and v >= 1),
    ("settings.lr", "a number > 0", _is_positive),
    ("results", "an object with one entry per model family", lambda v: isinstance(v, dict) and bool(v)),
)


def _check(path, field: str, value: Any, expected: str, ok) -> None:
    if value is ...:
        raise BenchmarkError(path, field, f"{expected} (the field is missing)")
    if not ok(value):
        raise BenchmarkError(path, field, expected, value)


def _per_contender(path, field: str, value: Any, expected: str, ok) -> dict:
    """A ``{contender: value}`` object, each value checked."""
    _check(path, field, value, "an object of contenders", lambda v: isinstance(v, dict) and bool(v))
    for name, item in value.items():
        _check(path, f"{field}.{name}", item, expected, ok)
    return value


def _validate_family(path, family: str, result: Any) -> None:
    prefix = f"results.{family}"
    _check(path, prefix, result, "an object", lambda v: isinstance(v, dict))
    _check(path, f"{prefix}.variant", result.get("variant", ...), "a string", lambda v: isinstance(v, str))
    seconds = _per_contender(path, f"{prefix}.seconds_per_epoch", result.get("seconds_per_epoch", ...),
                             "a non-empty list of seconds > 0",
                             lambda v: isinstance(v, list) and bool(v) and all(_is_positive(s) for s in v))
    contenders = set(seconds)
    for name in REQUIRED_CONTENDERS:
        if name not in contenders:
            raise BenchmarkError(path, f"{prefix}.seconds_per_epoch", f"timings of the '{name}' contender "
                                 "(the baseline of every ratio, and the trainer itself)", sorted(contenders))
    for key, expected in (("median_s", "seconds > 0"), ("model_epochs_per_s", "a number > 0")):
        values = _per_contender(path, f"{prefix}.{key}", result.get(key, ...), expected, _is_positive)
        if set(values) != contenders:
            raise BenchmarkError(path, f"{prefix}.{key}", "the contenders of seconds_per_epoch: "
                                 + ", ".join(sorted(contenders)), sorted(values))
    _check(path, f"{prefix}.trainer_speedup_vs_tutorial", result.get("trainer_speedup_vs_tutorial", ...),
           "a number > 0", _is_positive)
    if "batched" in contenders:
        _check(path, f"{prefix}.batched_models", result.get("batched_models", ...),
               "a whole number >= 1 (the models the batched contender trains at once)",
               lambda v: is_whole(v) and v >= 1)


def validate(results: Any, path: Path | str = "<benchmark>") -> dict:
    """Return ``results`` if it is a valid current-schema results file; else raise
    :class:`BenchmarkError` naming the file and the field."""
    if not isinstance(results, dict):
        raise BenchmarkError(path, "(top level)", "a JSON object", type(results).__name__)
    version = results.get("schema", ...)
    _check(path, "schema", version, "a whole number", is_whole)
    if version > SCHEMA:
        raise BenchmarkError(path, "schema", f"version {SCHEMA} or older; a newer version of MNIST "
                             "Battleground wrote this file, so update this checkout (git pull) to read it", version)
    if version != SCHEMA:
        raise BenchmarkError(path, "schema", f"version {SCHEMA}; run `battleground bench` again to write "
                             "a current file", version)
    for dotted, expected, ok in _TOP:
        _check(path, dotted, lookup(results, dotted), expected, ok)
    for family, result in results["results"].items():
        _validate_family(path, family, result)
    check_text(results, path, BenchmarkError)  # a results file travels as a record does
    return results


def parse_results(text: str, path: Path | str = "<benchmark>") -> dict:
    return validate(parse_json(text, path, BenchmarkError), path)


def load_results(path: Path | str) -> dict:
    """Read one results file; any problem is a :class:`BenchmarkError` naming it and the field."""
    return parse_results(read_text(path, BenchmarkError), path)


def results_files(runs_dir: Path | str) -> list[Path]:
    """The committed results files, ``runs/benchmarks/*.json``, sorted; none if the folder is absent."""
    folder = Path(runs_dir) / BENCHMARKS_FOLDER
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def contenders(result: dict) -> list[str]:
    """A family's contenders: the known ones in their order, then any others alphabetically."""
    found = list(result["median_s"])
    return [n for n in KNOWN_ORDER if n in found] + sorted(n for n in found if n not in KNOWN_ORDER)
