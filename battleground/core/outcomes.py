"""What a run came to: its summary values and its state, defined once for every page.

A record holds every epoch; a page wants a few numbers and a word. This module is the one place
that turns a record into them (its *outcome*), from the metrics its problem declares
(:class:`battleground.core.catalogue.Metric`). Every element asks here; none recomputes.

Summary values, per declared metric (``metric.summaries``):

- ``final``: the metric's value after the last epoch (null where that epoch could not give it);
- ``best``: the best value of any epoch, by the metric's direction (highest accuracy, lowest error);
- ``test``: the final model's value on the held-out test images (the record's ``test_<name>``).

The problem's first metric is its headline: its values are keyed ``final_val``, ``best_val`` and
``test``; a further metric's ``final_val_<name>``, ``best_val_<name>``, ``test_<name>``. Every
problem also has ``val_loss`` and ``train_loss``: the validation and training loss after the last
epoch.

States, one per run, the first that applies:

- ``diverged``: the loss became infinite or NaN: the record's status is ``diverged``, or the last
  epoch's validation loss is null (a record keeps a non-finite loss as null).
- ``collapsed``: the run settled on predicting one class: after the last epoch one class takes at
  least :data:`COLLAPSE_SHARE` of the validation predictions (``val_prediction_counts``) *and* the
  training loss has stopped falling: over the last :data:`WINDOW` epochs it fell by less than
  :data:`FLAT` of its value. The run needs more than :data:`WINDOW` epochs for this to be told
  (the first epoch's loss includes the first steps' steep fall).
- ``not learning yet``: the headline metric is still at chance after the run's epochs (below one
  over the number of classes plus :data:`CHANCE_MARGIN`, for a metric where guessing scores one
  over the classes) and the run is not collapsed: its training loss is still falling, or it has
  too few epochs to tell. A longer run may yet learn; a page says after how many epochs.
- ``interrupted``: training stopped before the planned epochs (the record's status).
- ``running``: training is still going (the record's status).
- ``complete``: none of the above; trained to the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from battleground.core import catalogue
from battleground.core.catalogue import LOSS, Metric, Problem

STATES = ("diverged", "collapsed", "not learning yet", "interrupted", "running", "complete")
# the states a page marks a run with, beside its numbers; the others are the record's status
NOTES = ("diverged", "collapsed", "not learning yet")

# A collapsed network predicts (almost) one class for every image. MNIST's ten classes are each
# 9-11% of the validation images, so a working classifier spreads its predictions about evenly;
# one class taking 99% of them caps accuracy near that class's share (11.35% for the digit 1, the
# largest). 99% rather than 100% still catches a net that sends a handful of images elsewhere
# through float noise, and stays far above any net that has learned anything.
COLLAPSE_SHARE = 0.99
WINDOW = 5  # epochs over which "the training loss stopped falling" is judged
FLAT = 1e-4  # a fall of less than this share of the loss over WINDOW epochs is no fall
CHANCE_MARGIN = 0.05  # above one over the classes: still "at chance"

HOW_LABELS = {"final": ("final validation", "final val."), "best": ("best validation", "best val."),
              "test": ("test", "test")}


@dataclass(frozen=True)
class Summary:
    """One way of summarising a run by one number: which metric, how, and what a page calls it."""

    key: str  # final_val, best_val, test; final_val_<metric>, ...; val_loss, train_loss
    metric: Metric
    how: str  # one of catalogue.SUMMARIES
    source: str  # the epoch column read, or for "test" the record's field
    label: str  # "final validation accuracy"
    short: str  # "final val. acc."

    @property
    def higher_is_better(self) -> bool:
        return self.metric.higher_is_better


def _summary(metric: Metric, how: str, headline: bool) -> Summary:
    key = ("test" if how == "test" else f"{how}_val") + ("" if headline else f"_{metric.name}")
    source = f"test_{metric.name}" if how == "test" else metric.column
    long, short = HOW_LABELS[how]
    return Summary(key, metric, how, source, f"{long} {metric.label}", f"{short} {metric.short}")


LOSSES = (Summary("val_loss", LOSS, "final", "val_loss", "final validation loss", "final val. loss"),
          Summary("train_loss", LOSS, "final", "train_loss", "final training loss", "final train loss"))


def problem_of(record_or_name: dict | str) -> Problem:
    """The catalogue's problem of a record (or of a problem's name); a record written before
    problems were named classifies one image."""
    name = record_or_name if isinstance(record_or_name, str) else record_or_name["config"].get("problem", "classify")
    return catalogue.PROBLEMS.get(name) or catalogue.PROBLEMS["classify"]


def summaries(problem: Problem | str = "classify", losses: bool = True) -> dict[str, Summary]:
    """Every summary of ``problem``'s runs by key, headline metric first (``final_val``,
    ``best_val``, ``test``), then its further metrics, then (with ``losses``) the final losses."""
    if isinstance(problem, str):
        problem = problem_of(problem)
    out = {}
    for i, metric in enumerate(problem.metrics):
        for how in catalogue.SUMMARIES:
            if how in metric.summaries:
                found = _summary(metric, how, headline=i == 0)
                out[found.key] = found
    if losses:
        out.update((s.key, s) for s in LOSSES)
    return out


HEADLINE = {k: s for k, s in summaries(losses=False).items()}  # final_val, best_val, test of accuracy


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def summary_value(record: dict, summary: Summary) -> float | None:
    """One run's value of ``summary``; None where it has none (no epoch yet, not kept, diverged)."""
    if summary.how == "test":
        found = record.get(summary.source)
        return found if found is None or _finite(found) else None
    column = record["epochs"].get(summary.source) or []
    if summary.how == "final":
        last = column[-1] if column else None
        return last if _finite(last) else None
    known = [v for v in column if _finite(v)]
    if not known:
        return None
    return max(known) if summary.higher_is_better else min(known)


def _one_class(record: dict) -> bool:
    counts = record.get("val_prediction_counts")
    total = sum(counts) if counts else 0
    return total > 0 and max(counts) >= COLLAPSE_SHARE * total


def loss_still_falling(record: dict) -> bool | None:
    """Whether the training loss fell by at least :data:`FLAT` of its value over the last
    :data:`WINDOW` epochs; None where the run has too few epochs (or finite losses) to tell."""
    losses = record["epochs"]["train_loss"]
    if len(losses) <= WINDOW:
        return None
    first, last = losses[-WINDOW], losses[-1]
    if not (_finite(first) and _finite(last)):
        return None
    return first - last >= FLAT * abs(first)


def _chance_bound(record: dict) -> float | None:
    """The headline value below which a run is still at chance; None for a metric where guessing
    has no known score."""
    metric = problem_of(record).metrics[0]
    classes = record.get("classes")
    return 1 / classes + CHANCE_MARGIN if metric.chance_is_one_in_classes and classes else None


def at_chance(record: dict) -> bool:
    """Whether the headline metric's final value is still at chance (see the module's
    definition); False for a metric where guessing has no known score."""
    bound = _chance_bound(record)
    final = summary_value(record, _summary(problem_of(record).metrics[0], "final", headline=True))
    return bound is not None and final is not None and final < bound


def epoch_left_chance(record: dict) -> int | None:
    """The first epoch after which the headline metric was no longer at chance (the bound of
    ``not learning yet``); None for a run that never left it, or a metric without a chance score.
    Deep plain stacks can sit at chance for a hundred epochs and then learn: this is when."""
    bound = _chance_bound(record)
    if bound is None:
        return None
    column = record["epochs"].get(problem_of(record).metrics[0].column) or []
    return next((epoch for epoch, value in zip(record["epochs"]["epoch"], column)
                 if _finite(value) and value >= bound), None)


def diverged(record: dict) -> bool:
    losses = record["epochs"]["val_loss"]
    return record["status"] == "diverged" or bool(losses) and not _finite(losses[-1])


def state(record: dict) -> str:
    """The run's state, one of :data:`STATES`, as the module's docstring defines them."""
    if diverged(record):
        return "diverged"
    falling = loss_still_falling(record)
    if _one_class(record) and falling is False:
        return "collapsed"
    if record["epochs"]["epoch"] and at_chance(record):
        return "not learning yet"
    return record["status"] if record["status"] in STATES else "running"


@dataclass(frozen=True)
class Outcome:
    """A run's state and summary values (by :class:`Summary` key)."""

    state: str
    epochs: int  # how many the run trained
    status: str  # the record's own status: running, complete, diverged, interrupted
    values: dict[str, float | None] = field(default_factory=dict)

    @property
    def note(self) -> str | None:
        """The state where a page marks the run with it (:data:`NOTES`), else None."""
        return self.state if self.state in NOTES else None

    @property
    def said(self) -> str:
        """The state as a sentence ends it: ``not learning yet after 10 epochs``."""
        if self.state == "not learning yet":
            return f"not learning yet after {self.epochs:,} epoch{'s' if self.epochs != 1 else ''}"
        return self.state


def outcome(record: dict) -> Outcome:
    """What ``record`` came to: its state and every summary value its problem declares."""
    values = {key: summary_value(record, s) for key, s in summaries(problem_of(record)).items()}
    return Outcome(state(record), len(record["epochs"]["epoch"]), record["status"], values)


def value(record: dict, key: str) -> float | None:
    """One summary value of ``record`` by key (``final_val``, ``test``, ``val_loss``, ...); None
    where the run has none or its problem declares no such summary."""
    found = summaries(problem_of(record)).get(key)
    return None if found is None else summary_value(record, found)


def mean(values) -> float | None:
    """The mean of the values that exist; None if none does."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def rounded(value: float | None, digits: int = 5) -> float | None:
    return None if value is None else round(value, digits)


__all__ = ["CHANCE_MARGIN", "COLLAPSE_SHARE", "FLAT", "HEADLINE", "LOSSES", "NOTES", "STATES", "WINDOW",
           "Outcome", "Summary", "at_chance", "diverged", "epoch_left_chance", "loss_still_falling", "mean", "outcome",
           "problem_of", "rounded", "state", "summaries", "summary_value", "value"]
