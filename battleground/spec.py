"""What an investigation declares: variants, seeds and training settings, as plain data.

Torch-free: the site reads the same declarations (to list what should have run), and an
experiment module stays a lab notebook rather than code that builds models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from battleground.config import DEFAULTS, SEEDS, TrainConfig

FAMILIES = ("SimpleNet2", "LeNet5")
ACTIVATIONS = ("none", "ReLU", "ELU", "LeakyReLU", "PReLU", "SiLU", "sigmoid", "tanh", "SELU", "GELU")


@dataclass(frozen=True)
class Variant:
    """One model to train: a family from ``battleground.models`` and its parameters."""

    family: str
    params: tuple[tuple[str, object], ...]  # sorted (key, value) pairs, so equal variants are equal

    @property
    def name(self) -> str:
        """The variant's one name, for files, legends and tables: ``SimpleNet2[activation=ReLU,depth=3]``."""
        inner = ",".join(f"{key}={value}" for key, value in self.params)
        return f"{self.family}[{inner}]"

    @property
    def kwargs(self) -> dict:
        return dict(self.params)

    def __str__(self) -> str:
        return self.name


def variant(family: str, **params) -> Variant:
    """A variant of ``family``; checks the family and activation names here, not at training time."""
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    activation = params.get("activation")
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
    return Variant(family, tuple(sorted(params.items())))


@dataclass(frozen=True)
class Task:
    """The unit of work: one variant, one seed, one training configuration."""

    investigation: str
    variant: Variant
    seed: int
    config: TrainConfig


@dataclass(frozen=True)
class Smoke:
    """A small configuration of an investigation that the test suite trains for real."""

    variants: tuple[Variant, ...]
    seeds: tuple[int, ...] = (SEEDS[0],)
    config_changes: dict = field(default_factory=lambda: {"epochs": 1})


@dataclass(frozen=True)
class Investigation:
    """A question, the variants that answer it, and how each is trained."""

    name: str  # derived from the module name: runs/<name>/ and site_src/<name>.md
    question: str
    variants: tuple[Variant, ...]
    seeds: tuple[int, ...] = SEEDS
    config: TrainConfig = DEFAULTS
    smoke: Smoke | None = None

    def variant_named(self, name: str) -> Variant:
        for candidate in self.variants:
            if candidate.name == name:
                return candidate
        known = "\n  ".join(v.name for v in self.variants)
        raise KeyError(f"investigation {self.name!r} has no variant {name!r}; its variants:\n  {known}")

    def tasks(
        self,
        variants: Iterable[Variant] | None = None,
        seeds: Iterable[int] | None = None,
        config: TrainConfig | None = None,
    ) -> list[Task]:
        """Every (variant, seed) task, variants outermost, in declaration order."""
        config = config or self.config
        return [
            Task(self.name, v, s, config)
            for v in (self.variants if variants is None else variants)
            for s in (self.seeds if seeds is None else seeds)
        ]

    def smoke_tasks(self) -> list[Task]:
        if self.smoke is None:
            return []
        config = self.config.replace(**self.smoke.config_changes)
        return self.tasks(self.smoke.variants, self.smoke.seeds, config)
