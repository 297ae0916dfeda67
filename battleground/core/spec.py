"""What an investigation declares: variants, seeds and training settings, as plain data.

Torch-free: the site reads the same declarations (to list what should have run), and an
experiment module stays a lab notebook rather than code that builds models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from battleground.core import catalogue
from battleground.core.config import DEFAULTS, SEEDS, SETTINGS, TrainConfig, check_setting
from battleground.core.values import SEED_RANGE, is_seed

FAMILIES = tuple(catalogue.FAMILIES)  # the catalogue's names, for callers that only list them
ACTIVATIONS = catalogue.ACTIVATIONS


@dataclass(frozen=True)
class Variant:
    """One model to train: a family from ``battleground.train.models`` and its parameters.

    A parameter whose key is a training setting (a :class:`TrainConfig` field, e.g. ``lr``) sets
    that setting for the variant's runs instead of going to the model, so a learning-rate sweep
    is a list of variants like any other: ``SimpleNet2[activation=ReLU,depth=0,lr=0.01]``.
    """

    family: str
    params: tuple[tuple[str, object], ...]  # sorted (key, value) pairs, so equal variants are equal

    @property
    def name(self) -> str:
        """The variant's one name, for files, legends and tables: ``SimpleNet2[activation=ReLU,depth=3]``."""
        if not self.params:  # a family without parameters (the zoo's Basic) is named by itself
            return self.family
        inner = ",".join(f"{key}={catalogue.format_value(value)}" for key, value in self.params)
        return f"{self.family}[{inner}]"

    @property
    def kwargs(self) -> dict:
        """Every parameter as declared, model and training alike: what charts select, facet and
        label by."""
        return dict(self.params)

    @property
    def model_kwargs(self) -> dict:
        """The parameters the model family takes (``battleground.train.models.build``)."""
        return {key: value for key, value in self.params if key not in SETTINGS}

    @property
    def training(self) -> dict:
        """The training settings the variant sets, e.g. ``{"lr": 0.01}``; its tasks' configs carry them."""
        return {key: value for key, value in self.params if key in SETTINGS}

    def __str__(self) -> str:
        return self.name


class VariantError(ValueError):
    """A variant whose parameters its model family does not take."""


def model_params(declared: Variant) -> dict:
    """``declared``'s model parameters with the family's defaults filled in, as the catalogue lists
    them; a parameter the family does not take is a :class:`VariantError` naming the variant and
    what it could have said."""
    try:
        return catalogue.check_params(declared.family, declared.model_kwargs)
    except catalogue.CatalogueError as error:
        raise VariantError(f"variant {declared.name}: {error}, and a variant may also set the training "
                           f"settings {', '.join(SETTINGS)}") from None


def variant(family: str, **params) -> Variant:
    """A variant of ``family``; checks the family and its parameters against the catalogue
    (:mod:`battleground.core.catalogue`) and each training setting (through
    :func:`~battleground.core.config.check_setting`) here, not at training time. A list value
    (``widths=[256, 128]``) becomes a tuple, so the variant stays hashable."""
    params = {key: tuple(value) if isinstance(value, list) else value for key, value in params.items()}
    declared = Variant(family, tuple(sorted(params.items(), key=lambda item: item[0])))
    model_params(declared)
    try:
        for key, value in declared.training.items():
            check_setting(key, value)
    except ValueError as error:
        raise ValueError(f"variant {declared.name}: {error}") from None
    return declared


@dataclass(frozen=True)
class Task:
    """The unit of work: one variant, one seed, one training configuration."""

    investigation: str
    variant: Variant
    seed: int
    config: TrainConfig
    # A smoke run's task (``battleground run --smoke``): its record says so, and never stands for
    # a run of the investigation (listing, planning, skipping and the site tell them apart).
    smoke: bool = False

    def __post_init__(self):
        if not is_seed(self.seed):
            raise ValueError(f"seed {self.seed!r} of {self.variant.name}: expected {SEED_RANGE}")
        # A run's record names its variant and its config: they must not tell two stories.
        for key, value in self.variant.training.items():
            if getattr(self.config, key) != value:
                raise ValueError(f"a task of {self.variant.name} has config {key}={getattr(self.config, key)!r}; "
                                 f"the variant sets {value!r} (Investigation.tasks applies it)")


@dataclass(frozen=True)
class Smoke:
    """A small configuration of an investigation that the test suite trains for real."""

    variants: tuple[Variant, ...]
    seeds: tuple[int, ...] = (SEEDS[0],)
    config_changes: dict = field(default_factory=lambda: {"epochs": 1})


def _check_seeds(what: str, seeds: tuple[int, ...]) -> None:
    if not seeds:
        raise ValueError(f"{what}: expected at least one seed, found none")
    repeated = [seed for i, seed in enumerate(seeds) if seed in seeds[:i]]
    if repeated:
        raise ValueError(f"{what}: seed {repeated[0]!r} is given more than once; expected each seed once")


def _check_grid(what: str, variants: tuple[Variant, ...], seeds: tuple[int, ...]) -> None:
    """``variants`` and ``seeds`` (``what``: "" or "smoke ") name each run once, and at least one."""
    if not variants:
        raise ValueError(f"{what}variants: expected at least one variant, found none")
    names = [v.name for v in variants]
    repeated = [name for i, name in enumerate(names) if name in names[:i]]
    if repeated:
        raise ValueError(f"{what}variants: {repeated[0]} is declared more than once; expected each variant once "
                         "(one record per variant and seed)")
    _check_seeds(f"{what}seeds", tuple(seeds))


@dataclass(frozen=True)
class Investigation:
    """A question, the variants that answer it, and how each is trained."""

    name: str  # derived from the module name: runs/<name>/ and site_src/<name>.md
    question: str
    variants: tuple[Variant, ...]
    seeds: tuple[int, ...] = SEEDS
    config: TrainConfig = DEFAULTS
    smoke: Smoke | None = None
    # (variant name, its seeds) for variants trained with seeds of their own rather than ``seeds``:
    # the digit pairs' costly models run 10 repeats where the others 15, and the network zoo trains
    # its one-layer baseline with 30 seeds, to ensemble them.
    variant_seeds: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def seeds_of(self, declared: Variant) -> tuple[int, ...]:
        """The seeds ``declared`` is trained with: its own where the investigation gives it some."""
        return dict(self.variant_seeds).get(declared.name, self.seeds)

    @property
    def run_count(self) -> int:
        """How many runs the investigation declares, every variant's seeds counted."""
        return sum(len(self.seeds_of(v)) for v in self.variants)

    def __post_init__(self):
        # One record per (variant, seed): a name or seed given twice would be two runs writing one
        # file (and fighting over its lock), and an empty grid is a page with nothing to show.
        _check_grid("", self.variants, self.seeds)
        names = {v.name for v in self.variants}
        for name, seeds in self.variant_seeds:
            if name not in names:
                raise ValueError(f"variant_seeds names {name!r}, which is not one of the variants")
            for seed in seeds:
                if not is_seed(seed):
                    raise ValueError(f"seed {seed!r} of {name}: expected {SEED_RANGE}")
            _check_seeds(f"variant_seeds of {name}", seeds)
        given = [name for name, _ in self.variant_seeds]
        if len(set(given)) != len(given):
            repeated = next(name for i, name in enumerate(given) if name in given[:i])
            raise ValueError(f"variant_seeds names {repeated!r} more than once; expected each variant once")
        if self.smoke is not None:
            _check_grid("smoke ", self.smoke.variants, self.smoke.seeds)
        # Each variant's settings together with the investigation's: a StepLR variant without a
        # step size, or a SiameseNet on a one-image problem, fails where it is declared.
        for v in self.variants + (self.smoke.variants if self.smoke else ()):
            try:
                config = self.config.replace(**v.training)
            except ValueError as error:
                raise ValueError(f"variant {v.name}: {error}") from None
            problems = catalogue.FAMILIES[v.family].problems
            if not catalogue.trains(v.family, config.problem):
                raise ValueError(f"variant {v.name}: {v.family} trains on problem {' or '.join(problems)}, "
                                 f"not {config.problem!r}; set problem=... in the variant or the config")

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
        smoke: bool = False,
    ) -> list[Task]:
        """Every (variant, seed) task, variants outermost, in declaration order. A variant's own
        training settings (``lr=...``) take the place of ``config``'s; without ``seeds``, each
        variant's own (:meth:`seeds_of`). ``smoke``: the tasks of a smoke run."""
        config = config or self.config
        return [
            Task(self.name, v, s, config.replace(**v.training), smoke)
            for v in (self.variants if variants is None else variants)
            for s in (self.seeds_of(v) if seeds is None else seeds)
        ]

    def smoke_tasks(self) -> list[Task]:
        if self.smoke is None:
            return []
        config = self.config.replace(**self.smoke.config_changes)
        return self.tasks(self.smoke.variants, self.smoke.seeds, config, smoke=True)
