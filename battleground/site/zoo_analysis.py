"""The network zoo's numbers, from its run records: numpy only, no torch, no rendering.

Each function takes plain arrays (accuracy per network and epoch; predicted class per network and
image) so that the tests check it on small hand-made tables; :func:`read_zoo` turns records into
those arrays. Rendering is ``battleground.site.zoo_page``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from battleground.core import catalogue, records, zoo

THRESHOLDS = (0.80, 0.90, 0.95, 0.99, 1.00)  # "how many networks reached >= x% after each epoch"
GOLD_EVERY_EPOCH, GOLD_LAST = 0.80, 0.98  # a gold star: >= 80% after every epoch and >= 98% after the last
WEIRD_SHARE = 0.90  # weird: more than 90% of networks give one and the same wrong answer
LATE_BAD, LATE_GOOD = 0.80, 0.95  # a late learner: below 80% after epochs 1 and 2, >= 95% after the last
ENSEMBLE_SIZES = tuple(range(1, 31))
ENSEMBLE_DRAWS = 25  # random zoo ensembles drawn for each size, averaged
ENSEMBLE_SEED = 1729
CLASSES = 10


@dataclass
class Network:
    """One complete run of the zoo, as the analysis reads it."""

    name: str
    family: str
    computation: str  # a zoo computation kind, or "Basic"
    activation: str
    seed: int
    accuracy: list[float]  # validation accuracy after each epoch
    weights: int
    memory: int | None  # elements of every intermediate tensor for one input (None: not recorded)
    operations: int | None  # layers run
    flops: int  # complete training FLOPs (FlopCounterMode's count per step x steps)
    seconds: float  # training time, evaluation excluded
    test_accuracy: float
    val: np.ndarray | None  # predicted class of each validation image (None: not recorded)
    test: np.ndarray | None
    device: str
    train_images: int | None


def read_network(record: dict) -> Network:
    """A complete record as a :class:`Network`."""
    family = record["model"]["family"]
    epochs = len(record["epochs"]["epoch"])
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    flops = record["flops"]
    return Network(
        name=record["variant"], family=family, computation=zoo.computation_of(family) or family,
        activation=record["model"]["params"].get("activation", "none"), seed=record["seed"],
        accuracy=[a if a is not None else 0.0 for a in record["epochs"]["val_accuracy"]],
        weights=record["model"]["parameters"], memory=record["model"].get("memory"),
        operations=record["model"].get("operations"),
        flops=flops["per_step_complete"] * flops["steps_per_epoch"] * epochs,
        seconds=float(sum(record["epochs"]["seconds"])), test_accuracy=record["test_accuracy"],
        val=records.predicted_classes(record, "val"), test=records.predicted_classes(record, "test"),
        device=record["environment"]["device"], train_images=data.get("train_images"),
    )


def zoo_networks(run_records: list[dict]) -> tuple[list[Network], list[Network]]:
    """``(zoo, basics)``: the complete runs of the zoo's generated networks, by name, and of the
    baseline ``Basic``, by seed."""
    complete = [read_network(r) for r in run_records if r["status"] == "complete"]
    basics = sorted((n for n in complete if n.family == catalogue.ZOO_BASELINE), key=lambda n: n.seed)
    generated = sorted((n for n in complete if n.family in catalogue.ZOO_FAMILIES and n.family != catalogue.ZOO_BASELINE),
                       key=lambda n: n.name)
    return generated, basics


# --- 1. the class over four attempts ------------------------------------------------------------


def threshold_counts(accuracy: np.ndarray, thresholds=THRESHOLDS) -> np.ndarray:
    """``counts[e, t]``: networks (rows of ``accuracy``, networks x epochs) at or above
    ``thresholds[t]`` after epoch ``e + 1``."""
    accuracy = np.asarray(accuracy, dtype=float).reshape(len(accuracy), -1)
    # compare in whole basis points: a recorded 0.9 is 90%, however float rounding stored it
    scaled = np.round(accuracy * 10_000)
    return np.stack([(scaled >= round(t * 10_000)).sum(axis=0) for t in thresholds], axis=1)


def gold_stars(accuracy: np.ndarray) -> np.ndarray:
    """A mask of the networks at or above 80% after every epoch and 98% after the last."""
    accuracy = np.asarray(accuracy, dtype=float).reshape(len(accuracy), -1)
    return (accuracy >= GOLD_EVERY_EPOCH).all(axis=1) & (accuracy[:, -1] >= GOLD_LAST)


def late_learners(accuracy: np.ndarray) -> np.ndarray:
    """A mask of the networks below 80% after the first two epochs and at or above 95% after the last."""
    accuracy = np.asarray(accuracy, dtype=float).reshape(len(accuracy), -1)
    return (accuracy[:, :2] < LATE_BAD).all(axis=1) & (accuracy[:, -1] >= LATE_GOOD)


# --- 3. easy, weird and confusing digits --------------------------------------------------------


def votes(predictions: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """``counts[i, c]``: networks (rows of ``predictions``, networks x images) that answer class c
    for image i."""
    predictions = np.asarray(predictions)
    return np.stack([(predictions == c).sum(axis=0) for c in range(classes)], axis=1)


@dataclass
class Verdicts:
    easy: np.ndarray  # image positions every network gets right
    weird: np.ndarray  # more than WEIRD_SHARE of networks give one and the same wrong answer
    confusing: np.ndarray  # no answer has a majority (more than half the networks)
    votes: np.ndarray  # images x classes


def verdicts(predictions: np.ndarray, labels: np.ndarray) -> Verdicts:
    """Which images are easy, weird or confusing for the networks whose answers are the rows of
    ``predictions`` (networks x images), ``labels`` the true classes."""
    labels = np.asarray(labels)
    counted = votes(predictions)
    networks = len(predictions)
    top = counted.argmax(axis=1)
    top_share = counted.max(axis=1) / networks
    easy = np.flatnonzero(counted[np.arange(len(labels)), labels] == networks)
    weird = np.flatnonzero((top != labels) & (top_share > WEIRD_SHARE))
    confusing = np.flatnonzero(counted.max(axis=1) * 2 <= networks)
    return Verdicts(easy, weird, confusing, counted)


# --- 4. the best network ------------------------------------------------------------------------


def class_accuracy(predictions: np.ndarray, labels: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """``accuracy[n, c]``: network n's share of right answers on the images of class c (NaN where
    the images hold none of class c)."""
    predictions, labels = np.atleast_2d(predictions), np.asarray(labels)
    out = np.full((len(predictions), classes), np.nan)
    for c in range(classes):
        mask = labels == c
        if mask.any():
            out[:, c] = (predictions[:, mask] == c).mean(axis=1)
    return out


def percentiles(values: np.ndarray, of: int) -> np.ndarray:
    """For each column of ``values`` (networks x classes), the percentage of networks whose value
    is at or below network ``of``'s: 100 means none did better."""
    values = np.asarray(values, dtype=float)
    return 100 * (values <= values[of]).mean(axis=0)


# --- 5. ensembles -------------------------------------------------------------------------------


def majority_vote(predictions: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """Each image's most common answer among the rows of ``predictions``; a tie goes to the
    smallest class, so the vote is the same on every machine."""
    return votes(predictions, classes).argmax(axis=1)


def accuracy_of(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float((np.asarray(predicted) == np.asarray(labels)).mean())


def first_k_curve(predictions: np.ndarray, labels: np.ndarray, sizes=ENSEMBLE_SIZES) -> dict[int, float]:
    """Accuracy of the majority vote of the first k rows of ``predictions``, for each k that fits."""
    return {k: accuracy_of(majority_vote(predictions[:k]), labels) for k in sizes if k <= len(predictions)}


def random_k_curve(predictions: np.ndarray, labels: np.ndarray, sizes=ENSEMBLE_SIZES, draws: int = ENSEMBLE_DRAWS,
                   seed: int = ENSEMBLE_SEED) -> dict[int, float]:
    """Mean accuracy of the majority vote of k rows drawn at random without replacement (``draws``
    draws per k, from a seeded generator), for each k that fits."""
    rng = np.random.default_rng(seed)
    out = {}
    for k in sizes:
        if k > len(predictions):
            break
        out[k] = float(np.mean([accuracy_of(majority_vote(predictions[rng.choice(len(predictions), k, replace=False)]),
                                            labels) for _ in range(draws)]))
    return out


def smallest_k_reaching(curve: dict[int, float], target: float) -> int | None:
    """The smallest ensemble size whose accuracy is at least ``target``; None if none is."""
    return next((k for k, accuracy in sorted(curve.items()) if accuracy >= target), None)
