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

Metrics: accuracy first; every further metric (``digit_accuracy``) is a per-epoch value the run
record keeps as the epoch column ``val_<metric>`` (null where a model cannot give it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from battleground.core import catalogue
from battleground.core.config import TrainConfig
from battleground.train import data

EVAL_BATCH = 2_000  # large batches: evaluating 8,000 images takes 4 forward passes
PAIR_SEED_OFFSET = {"train": 1, "val": 2, "test": 3}  # each split's pairs from its own generator


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    prediction_counts: list[int]  # how often each class was predicted
    metrics: dict[str, float | None]  # the problem's further metrics, by name
    predictions: np.ndarray | None = None  # the predicted class of every input (uint8), when asked


def logits_of(output) -> torch.Tensor:
    """The main task's logits from a model's output (its logits, or a dict holding them)."""
    return output["logits"] if isinstance(output, dict) else output


class Problem:
    """A problem: its splits, loss, metrics and classes. Subclasses set :attr:`metrics` and
    implement :meth:`draw_splits` and :meth:`loss`."""

    name: str = ""
    metrics: tuple[str, ...] = ()  # further metrics beyond accuracy, each an epoch column val_<name>

    def __init__(self, config: TrainConfig):
        self.config = config
        self.dataset = catalogue.DATASETS[config.dataset]

    @property
    def classes(self) -> int:
        return self.dataset.classes

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
        return {"input_shape": self.input_shape, "classes": self.classes, "digit_classes": self.dataset.classes}

    @property
    def columns(self) -> tuple[str, ...]:
        """The extra epoch columns of this problem's records."""
        return tuple(f"val_{name}" for name in self.metrics)

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

    def extra_metrics(self, outputs: list, part: dict[str, torch.Tensor]) -> dict[str, float | None]:
        return {}

    @torch.no_grad()
    def evaluate(self, model: nn.Module, part: dict[str, torch.Tensor], predictions: bool = False) -> Evaluation:
        """Mean loss, accuracy, predicted-class counts and further metrics over all of ``part``
        (``x``, ``y`` and extras), in a few large batches; with ``predictions``, every input's
        predicted class too."""
        model.eval()
        x, y = part["x"], part["y"]
        loss_sum = torch.zeros((), device=x.device)
        counts = torch.zeros(self.classes, dtype=torch.long, device=x.device)
        correct = torch.zeros((), dtype=torch.long, device=x.device)
        outputs, predicted = [], []
        for start in range(0, len(y), EVAL_BATCH):
            batch = {name: tensor[start : start + EVAL_BATCH] for name, tensor in part.items()}
            output = model(batch.pop("x"))
            loss_sum += self.loss(output, batch.pop("y"), reduction="sum", **batch)
            classes = logits_of(output).argmax(dim=1)
            correct += (classes == y[start : start + EVAL_BATCH]).sum()
            counts += torch.bincount(classes, minlength=self.classes)
            outputs.append(output)
            predicted.append(classes)
        return Evaluation(
            loss=loss_sum.item() / len(y), accuracy=correct.item() / len(y), prediction_counts=counts.tolist(),
            metrics=self.extra_metrics(outputs, part),
            predictions=torch.cat(predicted).to(torch.uint8).cpu().numpy() if predictions else None)


class Classify(Problem):
    """The class of one image."""

    name = "classify"

    def draw_splits(self, arrays, device, seed):
        return data.make_splits(arrays, self.config, device)

    def loss(self, output, y, reduction="mean", **extras):
        return F.cross_entropy(logits_of(output), y, reduction=reduction)


class DigitPairs(Problem):
    """Which of two digits is greater; an auxiliary loss may teach each digit too."""

    name = "digit-pairs"
    metrics = ("digit_accuracy",)  # of both images' digits, from the model's digit logits; null without them

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

    def extra_metrics(self, outputs, part):
        if not all(isinstance(o, dict) and "digits" in o for o in outputs):
            return {"digit_accuracy": None}
        predicted = torch.cat([o["digits"].argmax(dim=2) for o in outputs])
        return {"digit_accuracy": (predicted == part["digits"]).float().mean().item()}


PROBLEMS: dict[str, Callable[[TrainConfig], Problem]] = {"classify": Classify, "digit-pairs": DigitPairs}


def for_config(config: TrainConfig) -> Problem:
    """The problem ``config`` names (``config.problem``), on its data set."""
    return PROBLEMS[config.problem](config)
