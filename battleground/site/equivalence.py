"""When two variants are one function, and a comparison must say so instead of presenting two results.

Two routes, both read at build time from what the records hold (no torch):

- **The predictions.** Every record keeps its final model's class for every validation and test
  image. Two variants whose models predict the same class for every image of every seed they share
  computed the same function on everything the site shows, whatever their names say.
- **The shapes.** Two variants can be one network that rounding alone tells apart: then only some
  seeds predict identically, and the rest disagree on a handful of images. The records keep no
  parameter shapes, so each such identity of an architecture is written down once below
  (:data:`SHAPE_RULES`), pinned against the model code by a test that builds both networks
  (``tests/test_equivalence.py``), and claimed only where the records agree: both variants' runs
  have the same number of parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from battleground.core import records
from battleground.core.spec import Variant
from battleground.site.context import InvestigationData, Run


@dataclass(frozen=True)
class ShapeRule:
    """Variants of ``family`` that differ only in ``param``, one taking each of ``values``, are one
    network: the same parameters in other shapes, initialised from the same draws."""

    family: str
    param: str
    values: frozenset
    why: str


SHAPE_RULES = (
    ShapeRule("ConvNet", "convs", frozenset({3, 4}),
              "a convolution whose kernel covers the whole remaining map is a linear layer: the fourth "
              "convolution holds the final linear layer's weights in another shape, initialised from "
              "the same draws, so each seed trains the same network and only rounding tells them apart"),
)


@dataclass(frozen=True)
class SameFunction:
    """Two variants found to be one function, and the evidence the records give."""

    why: str
    seeds: int  # seeds both variants ran, with predictions
    identical_seeds: int  # of those, seeds whose two models predict the same class for every input
    images: int  # validation and test inputs (images, or pairs of them) per seed
    most_different: int  # the most inputs on which one seed's two models disagree


def _shape_rule(first: Variant, second: Variant) -> ShapeRule | None:
    one, other = first.kwargs, second.kwargs
    for rule in SHAPE_RULES:
        if (first.family == second.family == rule.family and set(one) == set(other)
                and {one.get(rule.param), other.get(rule.param)} == set(rule.values)
                and all(one[key] == other[key] for key in one if key != rule.param)):
            return rule
    return None


def _disagreements(first: dict[str, Any], second: dict[str, Any]) -> int | None:
    """Images (validation and test) on which two records' predicted classes differ; None where
    either kept none or their image counts differ (not the same images)."""
    total = 0
    for split in records.PREDICTION_SPLITS:
        one, other = records.predicted_classes(first, split), records.predicted_classes(second, split)
        if one is None or other is None or len(one) != len(other):
            return None
        total += int((one != other).sum())
    return total


def between(first: Variant, second: Variant, inv: InvestigationData) -> SameFunction | None:
    """Whether ``first`` and ``second`` are one function by their records (see the module's note);
    None where they are not, or the records cannot tell (no seed in common with predictions)."""
    runs: dict[str, dict[int, Run]] = {first.name: {}, second.name: {}}
    for run in inv.runs:
        if run.variant.name in runs and run.record["status"] == "complete":
            runs[run.variant.name][run.record["seed"]] = run
    counts, images = [], 0
    for seed in sorted(set(runs[first.name]) & set(runs[second.name])):
        one, other = runs[first.name][seed].record, runs[second.name][seed].record
        if one["config"] != other["config"]:  # trained otherwise (more epochs, another split): not comparable
            continue
        differing = _disagreements(one, other)
        if differing is not None:
            counts.append((differing, one["model"]["parameters"] == other["model"]["parameters"]))
            images = sum(len(records.predicted_classes(one, s)) for s in records.PREDICTION_SPLITS)
    if not counts:
        return None
    identical = sum(1 for differing, _ in counts if differing == 0)
    evidence = dict(seeds=len(counts), identical_seeds=identical, images=images,
                    most_different=max(differing for differing, _ in counts))
    rule = _shape_rule(first, second)
    if rule is not None and all(same_size for _, same_size in counts):
        return SameFunction(why=rule.why, **evidence)
    if identical == len(counts):
        return SameFunction(why=f"their models predict the same class for every validation and test input "
                                f"of every seed both ran ({len(counts)})", **evidence)
    return None
