"""The network zoo's generator: the same seeded set of sequential networks on every machine.

Torch-free, so that ``battleground list`` and the site know the zoo without building a model.
The zoo is a grid of computation kind x activation (``catalogue.ZOO_COMPUTATIONS`` x
``catalogue.ZOO_ACTIVATIONS``); within each cell, depths, widths, channel counts and kernel sizes
are drawn from a random generator seeded by the zoo's seed and the cell alone. So the i-th network
of a cell is the same whatever the zoo's size: a smaller zoo is the first networks of each cell of
the full one, and runs of a small zoo stay valid when it grows.

Bounds, so that every network trains an epoch of 60,000 images on one CPU core in about a minute
at most (the largest are the deepest ResNet-style networks): at most 4 hidden linear layers of
16-512 units; at most 3 convolutions of 4-32 channels, kernel 3 or 5, each of stride 2; at most 2
hidden linear layers of 32-256 units after the convolutions; at most 3 BasicBlocks of 4-16
channels after a stride-2 stem.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from battleground.core import catalogue
from battleground.core.spec import Variant, variant

ZOO_SEED = 1729
# Networks per computation kind, as the original zoo had them (1,000 in all), spread evenly
# over the activations.
DEFAULT_COUNTS = {"Linear": 150, "Conv1d": 150, "Conv2d": 150, "Conv3d": 150, "Conv1dThenLinear": 100,
                  "Conv2dThenLinear": 100, "Conv3dThenLinear": 100, "ResNet": 100}
LINEAR_DEPTHS, LINEAR_WIDTHS = (1, 2, 3, 4), (16, 32, 64, 128, 256, 512)
CONV_DEPTHS, CONV_CHANNELS, KERNELS = (1, 2, 3), (4, 8, 16, 32), (3, 5)
HEAD_DEPTHS, HEAD_WIDTHS = (1, 2), (32, 64, 128, 256)
RESNET_BLOCKS, RESNET_CHANNELS = (1, 2, 3), (4, 8, 12, 16)
_DRAWS = 1_000  # repeated draws in a row before a cell is declared too small for the networks asked of it


@dataclass(frozen=True)
class ZooNetwork:
    """One generated network: its cell, its place in the cell, and the variant it trains as (whose
    parameters are the generating ones)."""

    computation: str
    activation: str
    index: int  # 0, 1, ... within its (computation, activation) cell
    variant: Variant


def per_cell(counts: dict[str, int] | None = None) -> dict[tuple[str, str], int]:
    """Networks per (computation, activation) cell: each kind's count shared evenly among the
    activations (the first cells take the remainder)."""
    counts = DEFAULT_COUNTS if counts is None else counts
    unknown = sorted(set(counts) - set(catalogue.ZOO_COMPUTATIONS))
    if unknown:
        raise ValueError(f"zoo counts name {unknown}; the computation kinds are {', '.join(catalogue.ZOO_COMPUTATIONS)}")
    cells = {}
    activations = catalogue.ZOO_ACTIVATIONS
    for computation in catalogue.ZOO_COMPUTATIONS:
        total = counts.get(computation, 0)
        if not (isinstance(total, int) and total >= 0):
            raise ValueError(f"zoo count of {computation}: expected a whole number >= 0, found {total!r}")
        for i, activation in enumerate(activations):
            cells[(computation, activation)] = total // len(activations) + (i < total % len(activations))
    return cells


def scaled_counts(per_cell_count: int) -> dict[str, int]:
    """Counts for a smaller (or larger) zoo of ``per_cell_count`` networks in every cell."""
    return {computation: per_cell_count * len(catalogue.ZOO_ACTIVATIONS) for computation in catalogue.ZOO_COMPUTATIONS}


def _draw(rng: random.Random, computation: str, activation: str) -> Variant:
    family = catalogue.ZOO_COMPUTATIONS[computation]
    if computation == "Linear":
        widths = tuple(rng.choice(LINEAR_WIDTHS) for _ in range(rng.choice(LINEAR_DEPTHS)))
        return variant(family, widths=widths, activation=activation)
    if computation == "ResNet":
        blocks = rng.choice(RESNET_BLOCKS)
        channels = tuple(sorted(rng.choice(RESNET_CHANNELS) for _ in range(blocks)))  # never narrowing
        return variant(family, channels=channels, activation=activation)
    channels = tuple(rng.choice(CONV_CHANNELS) for _ in range(rng.choice(CONV_DEPTHS)))
    params = {"channels": channels, "kernel": rng.choice(KERNELS), "activation": activation}
    if computation.endswith("ThenLinear"):
        params["widths"] = tuple(rng.choice(HEAD_WIDTHS) for _ in range(rng.choice(HEAD_DEPTHS)))
    return variant(family, **params)


def cell(computation: str, activation: str, count: int, seed: int = ZOO_SEED) -> list[ZooNetwork]:
    """The first ``count`` networks of one cell, each distinct (a draw equal to an earlier one is
    drawn again)."""
    rng = random.Random(f"network-zoo:{seed}:{computation}:{activation}")  # str seeds hash the same everywhere
    found: dict[str, Variant] = {}
    misses = 0  # draws in a row that repeated an earlier network
    while len(found) < count and misses < _DRAWS:
        drawn = _draw(rng, computation, activation)
        misses = misses + 1 if drawn.name in found else 0
        found.setdefault(drawn.name, drawn)
    if len(found) < count:
        raise ValueError(f"the zoo's {computation} x {activation} cell holds fewer than {count} distinct networks")
    return [ZooNetwork(computation, activation, i, v) for i, v in enumerate(found.values())]


def generate(counts: dict[str, int] | None = None, seed: int = ZOO_SEED) -> list[ZooNetwork]:
    """The zoo: every cell's networks, cells in catalogue order (computation, then activation).
    ``counts``: networks per computation kind (default :data:`DEFAULT_COUNTS`, 1,000 in all)."""
    return [network for (computation, activation), count in per_cell(counts).items()
            for network in cell(computation, activation, count, seed)]


def computation_of(family: str) -> str | None:
    """The computation kind of a zoo family (``ZooConv2d`` -> ``Conv2d``); None for Basic or
    another family."""
    return next((kind for kind, name in catalogue.ZOO_COMPUTATIONS.items() if name == family), None)
