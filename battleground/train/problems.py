"""Problems: what a model learns. A problem owns its data splits, its loss, its metrics and its
number of classes, so the run loop trains any of them the same way.

- ``classify``: the class of one image (MNIST digits, Fashion-MNIST garments). Inputs
  ``x`` (N, 1, 28, 28), targets ``y`` (N,); the data set's classes.
- ``digit-pairs``: whether the first of two images shows the greater class. By default pairs are
  drawn with a fixed seed from each split (train, validation, test: as many pairs as the split
  has images, each image the first of one pair and the second of another), so every run sees the
  same pairs. With ``config.pairs`` = n, each run draws its own n pairs per split from its seed,
  2n distinct images each (a published course project's setting: 1,000 training pairs from the
  training images, 1,000 test pairs from the test images, new ones each repeat). Either way
  validation pairs never share an image with training or test pairs. Inputs ``x`` (N, 2, H, W),
  targets ``y`` (N,) = 1 if the first digit is greater, else 0: a tie (about one pair in ten)
  counts as "not greater". The two digits (N, 2) come along as ``digits`` for the auxiliary
  loss: with ``config.aux_weight`` > 0, a model that returns per-image digit logits
  (``{"logits": (N, 2), "digits": (N, 2, 10)}``, see ``SiameseNet``) is also taught each digit,
  and the mean cross-entropy of both digits, times ``aux_weight``, is added to the main loss.

``config.downsample`` = k average-pools every image k x k first, for any problem (2: 14 x 14).

A model's output is its logits, or a dict whose ``"logits"`` are the main task's and whose other
entries feed the auxiliary loss and metrics.

Metrics are the catalogue's (``catalogue.Problem.metrics``, declared once for both sides): each is a
per-epoch value the run record keeps as the epoch column ``val_<metric>`` (null where a model
cannot give it), the first also tested as ``test_<metric>``. A problem computes them from the
model's outputs (:meth:`Problem.measure`); only a :class:`Classification` takes an argmax.

A problem declared outside the package (an experiment module) subclasses :class:`Problem` (or
:class:`OneImage`, for one image's input) and names that class through its catalogue entry's
``trainer``; :func:`for_config` finds it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from battleground.core import catalogue, records
from battleground.core.config import TrainConfig
from battleground.train import data

EVAL_BATCH = 2_000  # large batches: evaluating 8,000 images takes 4 forward passes
PAIR_SEED_OFFSET = {"train": 1, "val": 2, "test": 3}  # each split's pairs from its own generator


@dataclass(frozen=True)
class Evaluation:
    loss: float
    metrics: dict[str, float | None]  # every metric the problem declares, by name, headline first
    prediction_counts: list[int] | None  # how often each class was predicted; None: not a classifier
    predictions: np.ndarray | None = None  # every input's prediction (catalogue.PREDICTIONS' dtype), when asked

    @property
    def headline(self) -> float | None:
        """The problem's first metric: what the progress bar and ``test_<metric>`` show."""
        return next(iter(self.metrics.values()))


def logits_of(output) -> torch.Tensor:
    """The main task's logits from a model's output (its logits, or a dict holding them)."""
    return output["logits"] if isinstance(output, dict) else output


class Problem:
    """A problem: its splits, loss, metrics and outputs. Subclasses set :attr:`name` (the
    catalogue's problem: its metrics are declared there) and implement :meth:`draw_splits`,
    :meth:`loss`, :meth:`predict` and :meth:`measure`."""

    name: str = ""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.dataset = catalogue.DATASETS[config.dataset]
        self.declared = catalogue.PROBLEMS[self.name]  # its metrics and what it predicts

    @property
    def metrics(self) -> tuple[str, ...]:
        """The names of the metrics the catalogue declares for this problem, headline first."""
        return tuple(m.name for m in self.declared.metrics)

    @property
    def classes(self) -> int | None:
        """The classes it predicts (the record's ``classes``); None for a problem that predicts a value."""
        return self.dataset.classes if self.declared.classifies else None

    @property
    def outputs(self) -> int:
        """How many numbers the model gives per input: one per class, or one value."""
        return self.classes or 1

    @property
    def input_shape(self) -> tuple[int, int, int]:
        channels, height, width = self.dataset.image_shape
        return channels, height // self.config.downsample, width // self.config.downsample

    @property
    def per_seed(self) -> bool:
        """Whether each run's seed draws its own data (so runs of different seeds share no splits)."""
        return False

    @property
    def shape(self) -> dict:
        """What a model takes from its problem (``battleground.train.models.build``)."""
        return {"input_shape": self.input_shape, "classes": self.outputs, "digit_classes": self.dataset.classes}

    @property
    def columns(self) -> tuple[str, ...]:
        """The metric epoch columns of this problem's records, ``val_<metric>``."""
        return tuple(m.column for m in self.declared.metrics)

    def make_splits(self, arrays: data.Arrays, device: torch.device | str, seed: int | None = None) -> data.Splits:
        """The problem's train, validation and test parts on ``device``, images downsampled as the
        config says; ``seed`` is the run's, which a :attr:`per_seed` problem draws its data with."""
        if self.per_seed and seed is None:
            raise ValueError(f"problem {self.name} with pairs={self.config.pairs} draws each run's data from "
                             "its seed; make_splits needs the seed")
        return data.downsampled(self.draw_splits(arrays, device, seed), self.config.downsample)

    def draw_splits(self, arrays: data.Arrays, device: torch.device | str, seed: int | None) -> data.Splits:
        raise NotImplementedError

    def loss(self, output, y: torch.Tensor, reduction: str = "mean", **extras) -> torch.Tensor:
        raise NotImplementedError

    def predict(self, output) -> torch.Tensor:
        """Each input's prediction from one batch's model output: a class, or a value."""
        raise NotImplementedError

    def measure(self, outputs: list, predicted: torch.Tensor, part: dict[str, torch.Tensor]) -> dict[str, float | None]:
        """Every declared metric (by name) over all of ``part`` from the model's ``outputs`` (one per
        batch) and their concatenated :meth:`predict`-ions."""
        raise NotImplementedError

    def prediction_counts(self, predicted: torch.Tensor) -> list[int] | None:
        """How often each class was predicted (the record's ``val_prediction_counts``); None for a
        problem that predicts values."""
        if not self.declared.classifies:
            return None
        return torch.bincount(predicted, minlength=self.classes).tolist()

    @torch.no_grad()
    def evaluate(self, model: nn.Module, part: dict[str, torch.Tensor], predictions: bool = False) -> Evaluation:
        """Mean loss, the declared metrics and predicted-class counts over all of ``part`` (``x``,
        ``y`` and extras), in a few large batches; with ``predictions``, every input's prediction
        too, in the dtype a record keeps it in (``catalogue.PREDICTIONS``)."""
        model.eval()
        x, y = part["x"], part["y"]
        loss_sum = torch.zeros((), device=x.device)
        outputs, predicted = [], []
        for start in range(0, len(y), EVAL_BATCH):
            batch = {name: tensor[start : start + EVAL_BATCH] for name, tensor in part.items()}
            output = model(batch.pop("x"))
            loss_sum += self.loss(output, batch.pop("y"), reduction="sum", **batch)
            outputs.append(output)
            predicted.append(self.predict(output))
        predicted = torch.cat(predicted)
        metrics = self.measure(outputs, predicted, part)
        missing = set(self.metrics) ^ set(metrics)
        if missing:  # a record column with no value, or a value with no column: the problem's mistake
            raise ValueError(f"problem {self.name}: measure() must give exactly its declared metrics "
                             f"{', '.join(self.metrics)}; differs in {', '.join(sorted(missing))}")
        dtype = records.PREDICTION_DTYPES[catalogue.PREDICTIONS[self.declared.predicts]]
        return Evaluation(
            loss=loss_sum.item() / len(y), metrics={name: metrics[name] for name in self.metrics},
            prediction_counts=self.prediction_counts(predicted),
            predictions=predicted.cpu().numpy().astype(dtype) if predictions else None)


class Classification(Problem):
    """A problem whose model gives one logit per class: it predicts the argmax, and its headline
    metric is accuracy."""

    def predict(self, output):
        return logits_of(output).argmax(dim=1)

    def measure(self, outputs, predicted, part):
        return {"accuracy": (predicted == part["y"]).sum().item() / len(predicted)}  # exact, as a double


class OneImage(Problem):
    """A problem on one image at a time, with the data set's train, validation and test parts."""

    def draw_splits(self, arrays, device, seed):
        return data.make_splits(arrays, self.config, device)


class Classify(OneImage, Classification):
    """The class of one image."""

    name = "classify"

    def loss(self, output, y, reduction="mean", **extras):
        return F.cross_entropy(logits_of(output), y, reduction=reduction)


class DigitPairs(Classification):
    """Which of two digits is greater; an auxiliary loss may teach each digit too."""

    name = "digit-pairs"

    @property
    def classes(self) -> int:
        return 2

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (2, *super().input_shape[1:])

    @property
    def per_seed(self) -> bool:
        return self.config.pairs is not None

    def draw_splits(self, arrays, device, seed):
        single = data.make_splits(arrays, self.config, device)
        parts, extras = {}, {}
        for part in ("train", "val", "test"):
            x, y = getattr(single, f"{part}_x"), getattr(single, f"{part}_y")
            first, second = self._pair_indices(part, len(y), seed)
            first, second = first.to(y.device), second.to(y.device)
            parts[f"{part}_x"] = torch.cat([x[first], x[second]], dim=1)  # (N, 2, H, W)
            digits = torch.stack([y[first], y[second]], dim=1)
            parts[f"{part}_y"] = (digits[:, 0] > digits[:, 1]).long()  # a tie is "not greater"
            extras[part] = {"digits": digits}
        return data.Splits(**parts, source=single.source, extras=extras)

    def _pair_indices(self, part: str, images: int, seed: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The first and second image of each pair of ``part``, which has ``images`` images."""
        pairs = self.config.pairs
        if pairs is None:  # every image first once, second once, the same pairs for every run
            generator = torch.Generator().manual_seed(self.config.val_split_seed + PAIR_SEED_OFFSET[part])
            return torch.arange(images), torch.randperm(images, generator=generator)
        if 2 * pairs > images:
            raise data.DataError(f"pairs={pairs} needs {2 * pairs} distinct {part} images; the {part} split "
                                 f"has {images} (lower pairs, or raise val_size/test_size/train_size)")
        generator = torch.Generator().manual_seed(seed * len(PAIR_SEED_OFFSET) + PAIR_SEED_OFFSET[part])
        chosen = torch.randperm(images, generator=generator)[: 2 * pairs].view(pairs, 2)
        return chosen[:, 0], chosen[:, 1]

    def loss(self, output, y, reduction="mean", digits=None, **extras):
        main = F.cross_entropy(logits_of(output), y, reduction=reduction)
        weight = self.config.aux_weight
        if weight == 0:
            return main
        if not (isinstance(output, dict) and "digits" in output):
            raise ValueError("aux_weight > 0 needs a model that returns digit logits, "
                             "e.g. SiameseNet, whose branch gives each image ten digit logits")
        aux = F.cross_entropy(output["digits"].flatten(0, 1), digits.flatten(), reduction=reduction)
        # Per pair: the mean of its two digits' losses, so aux_weight=1 weighs a digit as the main task.
        return main + weight * (aux / 2 if reduction == "sum" else aux)

    def measure(self, outputs, predicted, part):
        found = super().measure(outputs, predicted, part)
        # of both images' digits, from the model's digit logits; null without them
        if not all(isinstance(o, dict) and "digits" in o for o in outputs):
            return {**found, "digit_accuracy": None}
        digits = torch.cat([o["digits"].argmax(dim=2) for o in outputs])
        return {**found, "digit_accuracy": (digits == part["digits"]).float().mean().item()}


PROBLEMS: dict[str, Callable[[TrainConfig], Problem]] = {"classify": Classify, "digit-pairs": DigitPairs}


def problem_class(name: str) -> type[Problem]:
    """The torch-side class of the catalogue's problem ``name``: a built-in one's, or the one its
    declaration's ``trainer`` returns (a problem declared in an experiment module)."""
    if name in PROBLEMS:
        return PROBLEMS[name]
    declared = catalogue.PROBLEMS[name]
    found = declared.trainer() if declared.trainer is not None else None
    if not (isinstance(found, type) and issubclass(found, Problem) and found.name == name):
        raise TypeError(f"problem {name!r}: its trainer must return a subclass of "
                        f"battleground.train.problems.Problem with name = {name!r}, found {found!r}")
    return found


def for_config(config: TrainConfig) -> Problem:
    """The problem ``config`` names (``config.problem``), on its data set."""
    return problem_class(config.problem)(config)
