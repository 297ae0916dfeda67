"""Training defaults: the one place the methodology's numbers live.

Torch-free on purpose: the site's methodology page reads these values, so what the page says is
what the trainer does. Every field is written into each run record's ``config``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from battleground.core import catalogue
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
    "a positive number or None": lambda v: v is None or (is_finite_number(v) and v > 0),
    "a number >= 0": lambda v: is_finite_number(v) and v >= 0,
    "a number >= 0 or None": lambda v: v is None or (is_finite_number(v) and v >= 0),
    "True or False": lambda v: isinstance(v, bool),
    "a data set": lambda v: isinstance(v, str) and v in catalogue.DATASETS,
    "a problem": lambda v: isinstance(v, str) and v in catalogue.PROBLEMS,
    "an optimizer": lambda v: isinstance(v, str) and v in catalogue.OPTIMIZERS,
    "a schedule": lambda v: isinstance(v, str) and v in catalogue.SCHEDULES,
    "an initialisation": lambda v: isinstance(v, str) and v in catalogue.INITS,
}
_CHOICES = {  # the settings named from the catalogue -> its table, for the error's list of choices
    "a data set": catalogue.DATASETS, "a problem": catalogue.PROBLEMS, "an optimizer": catalogue.OPTIMIZERS,
    "a schedule": catalogue.SCHEDULES, "an initialisation": catalogue.INITS,
}
# Checked whenever a config is made, so a typo'd or negative setting (a variant's lr=-0.1, say)
# is an error where it is written rather than a run that trains with something else.
_EXPECTED = {
    "problem": "a problem",
    "dataset": "a data set",
    "batch_size": "a positive whole number",
    "optimizer": "an optimizer",
    "lr": "a positive number",
    "momentum": "a number >= 0",
    "weight_decay": "a number >= 0 or None",
    "schedule": "a schedule",
    "step_size": "a positive whole number or None",
    "gamma": "a positive number or None",
    "init": "an initialisation",
    "zero_bias": "True or False",
    "aux_weight": "a number >= 0",
    "pairs": "a positive whole number or None",
    "downsample": "a positive whole number",
    "loss": "a string",
    "budget_s": "a positive number",
    "epochs": "a positive whole number or None",
    "val_split_seed": "a whole number",
    "val_size": "a positive whole number",
    "test_size": "a positive whole number",
    "train_size": "a positive whole number or None",
}


def check_setting(name: str, value) -> None:
    """Raise the error a config would for ``name=value`` on its own (combinations aside)."""
    expected = _EXPECTED[name]
    if not _CHECKS[expected](value):
        if expected in _CHOICES:
            expected = "one of " + ", ".join(_CHOICES[expected])
            if name == "schedule":  # e.g. {"StepLR": {...}}: the schedule's settings are flat
                expected += " (its settings are step_size and gamma, set beside it)"
        raise ValueError(f"training setting '{name}': expected {expected}, found {value!r}")


@dataclass(frozen=True)
class TrainConfig:
    """How one model is trained. Unknown keys or wrong types are errors, not silent no-ops."""

    problem: str = "classify"  # what the model learns (catalogue.PROBLEMS): one image's class, or digit pairs
    dataset: str = "mnist"  # catalogue.DATASETS: "mnist" or "fashion-mnist"
    batch_size: int = 100  # as the published battleground
    optimizer: str = "SGD"  # catalogue.OPTIMIZERS; PyTorch defaults besides what is set here
    lr: float = 1e-3
    momentum: float = 0.0  # SGD only: > 0 is SGD with momentum
    weight_decay: float | None = None  # None: the optimizer's PyTorch default (0; AdamW 0.01)
    schedule: str = "none"  # catalogue.SCHEDULES: "none", "StepLR" or "cosine", stepped after each epoch
    step_size: int | None = None  # StepLR only, and required there: epochs between lr cuts
    gamma: float | None = None  # StepLR only: the cut's factor; None: PyTorch's 0.1
    init: str = "default"  # catalogue.INITS: "default" (PyTorch's), "kaiming" (He) or "xavier"
    zero_bias: bool = False  # biases start at zero (else as the layer's default initialises them)
    aux_weight: float = 0.0  # digit-pairs only: weight of the per-image digit loss added to the main loss
    # digit-pairs only: draw this many pairs per split from the run's seed (None: one pair per
    # image of each split, drawn with val_split_seed, the same pairs for every run)
    pairs: int | None = None
    downsample: int = 1  # average-pool each image by this factor: 2 turns 28 x 28 into 14 x 14
    loss: str = "cross_entropy"
    budget_s: float = FOUR_HOURS_S  # wall-clock budget: epochs = floor(budget / one timed epoch)
    epochs: int | None = None  # a fixed epoch count; overrides the budget when set
    val_split_seed: int = SEED  # fixed, so every run validates on the same 8,000 images
    val_size: int = 8_000  # of the 10,000 test images; the other 2,000 are the held-out test set
    test_size: int = 2_000
    train_size: int | None = None  # use only the first N training images (smoke runs); None: all

    def __post_init__(self):
        for f in dataclasses.fields(self):
            check_setting(f.name, getattr(self, f.name))
        self._check_combination()

    def _check_combination(self):
        """Settings that only mean something together: one that would be silently ignored is an error."""
        rules = (
            (self.schedule == "StepLR" and self.step_size is None, "schedule StepLR needs step_size (epochs between cuts)"),
            (self.schedule != "StepLR" and self.step_size is not None, "step_size is a setting of schedule StepLR"),
            (self.schedule != "StepLR" and self.gamma is not None, "gamma is a setting of schedule StepLR"),
            (self.optimizer != "SGD" and self.momentum != 0, f"momentum is a setting of SGD, not {self.optimizer}"),
            (self.problem != "digit-pairs" and self.aux_weight != 0, "aux_weight is a setting of problem digit-pairs"),
            (self.problem != "digit-pairs" and self.pairs is not None, "pairs is a setting of problem digit-pairs"),
        )
        for broken, message in rules:
            if broken:
                raise ValueError(f"training settings: {message}")

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


__all__ = ["SEED", "SEEDS", "TrainConfig", "check_setting", "SETTINGS", "DEFAULTS", "parse_budget", "format_budget"]
