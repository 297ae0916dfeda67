"""Training defaults: the one place the methodology's numbers live.

Torch-free on purpose: the site's methodology page reads these values, so what the page says is
what the trainer does. Every field is written into each run record's ``config``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from battleground.core.values import is_finite_number, is_whole

SEED = 1729  # the taxicab number; the seed of every run unless told otherwise
SEEDS = (1729, 271828, 314159)  # the seeds of a seed band: taxicab, e, pi
FOUR_HOURS_S = 4 * 60 * 60


_CHECKS = {  # what a setting must be -> the check
    "a string": lambda v: isinstance(v, str),
    "a whole number": is_whole,
    "a positive whole number": lambda v: is_whole(v) and v > 0,
    "a positive whole number or None": lambda v: v is None or (is_whole(v) and v > 0),
    "a positive number": lambda v: is_finite_number(v) and v > 0,
}
# Checked whenever a config is made, so a typo'd or negative setting (a variant's lr=-0.1, say)
# is an error where it is written rather than a run that trains with something else.
_EXPECTED = {
    "dataset": "a string",
    "batch_size": "a positive whole number",
    "optimizer": "a string",
    "lr": "a positive number",
    "loss": "a string",
    "budget_s": "a positive number",
    "epochs": "a positive whole number or None",
    "val_split_seed": "a whole number",
    "val_size": "a positive whole number",
    "test_size": "a positive whole number",
    "train_size": "a positive whole number or None",
}


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained. Unknown keys or wrong types are errors, not silent no-ops."""

    dataset: str = "mnist"  # "mnist" or "fashion-mnist"
    batch_size: int = 100  # as the published battleground
    optimizer: str = "SGD"  # torch.optim.SGD with PyTorch defaults besides lr
    lr: float = 1e-3
    loss: str = "cross_entropy"
    budget_s: float = FOUR_HOURS_S  # wall-clock budget: epochs = floor(budget / one timed epoch)
    epochs: int | None = None  # a fixed epoch count; overrides the budget when set
    val_split_seed: int = SEED  # fixed, so every run validates on the same 8,000 images
    val_size: int = 8_000  # of the 10,000 test images; the other 2,000 are the held-out test set
    test_size: int = 2_000
    train_size: int | None = None  # use only the first N training images (smoke runs); None: all

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value, expected = getattr(self, f.name), _EXPECTED[f.name]
            if not _CHECKS[expected](value):
                raise ValueError(f"training setting '{f.name}': expected {expected}, found {value!r}")

    def replace(self, **changes) -> "TrainConfig":
        """A copy with ``changes`` applied; names a key that is not a field."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}; known: {sorted(known)}")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


SETTINGS = tuple(f.name for f in dataclasses.fields(TrainConfig))  # the keys a variant may set too
DEFAULTS = TrainConfig()

_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|m|s)\s*$")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_budget(text: str) -> float:
    """Seconds in a budget such as ``4h``, ``30m``, ``90s`` or ``1.5h``."""
    match = _BUDGET.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(
            f"budget {text!r} is not a positive number followed by h, m or s (e.g. 4h, 30m, 90s)"
        )
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def format_budget(seconds: float) -> str:
    """The shortest of ``4h``, ``30m``, ``90s`` that states ``seconds`` exactly."""
    for unit in ("h", "m"):
        if seconds % _UNIT_S[unit] == 0:
            return f"{int(seconds // _UNIT_S[unit])}{unit}"
    return f"{seconds:g}s"


__all__ = ["SEED", "SEEDS", "TrainConfig", "SETTINGS", "DEFAULTS", "parse_budget", "format_budget"]
