"""The training defaults as the pages state them: ``{{ config.<name> }}`` in prose and the
methodology's ``{{ defaults }}`` table, every number from :data:`battleground.core.config.DEFAULTS`."""

from __future__ import annotations

from battleground.core import catalogue
from battleground.core.config import DEFAULTS, SEEDS, format_budget

MNIST_TRAIN_IMAGES = 60_000  # a fact of the data set, not a setting
FLOPS_METHOD = ("one training step (forward, backward, optimizer step) profiled with "
                "torch.profiler (with_flops=True), times steps per epoch")


def _count(n: int) -> str:
    return f"{n:,}"


def formatted_defaults() -> dict[str, str]:
    """The methodology's numbers, formatted, all from :data:`battleground.core.config.DEFAULTS`."""
    d = DEFAULTS
    return {
        "dataset": {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(d.dataset, d.dataset),
        "batch_size": str(d.batch_size),
        "problem": f"{d.problem}: {catalogue.PROBLEMS[d.problem].what}",
        "optimizer": d.optimizer,
        "lr": format(d.lr, "g"),
        "momentum": format(d.momentum, "g"),
        "weight_decay": "the optimizer's default" if d.weight_decay is None else format(d.weight_decay, "g"),
        "schedule": f"{d.schedule}: {catalogue.SCHEDULES[d.schedule]}",
        "init": catalogue.INITS[d.init] + ("; biases zero" if d.zero_bias else ""),
        "loss": d.loss.replace("_", "-"),
        "budget": format_budget(d.budget_s),
        "budget_s": _count(int(d.budget_s)) if float(d.budget_s).is_integer() else str(d.budget_s),
        "val_size": _count(d.val_size),
        "test_size": _count(d.test_size),
        "eval_size": _count(d.val_size + d.test_size),
        "val_split_seed": str(d.val_split_seed),
        "seed": str(SEEDS[0]),
        "seeds": ", ".join(str(s) for s in SEEDS),
        "train_size": _count(MNIST_TRAIN_IMAGES if d.train_size is None else d.train_size),
        "steps_per_epoch": _count(-(-(MNIST_TRAIN_IMAGES if d.train_size is None else d.train_size) // d.batch_size)),
        "flops_method": FLOPS_METHOD,
    }


DEFAULT_ROWS = (
    # (key in formatted_defaults, what it is) for the methodology table, in reading order
    ("dataset", "data set"),
    ("problem", "problem"),
    ("train_size", "training images used"),
    ("val_size", "validation images (accuracy axes)"),
    ("test_size", "held-out test images"),
    ("val_split_seed", "seed of the validation / test split"),
    ("batch_size", "batch size"),
    ("steps_per_epoch", "training steps per epoch"),
    ("optimizer", "optimizer (PyTorch defaults besides the learning rate)"),
    ("lr", "learning rate"),
    ("schedule", "learning-rate schedule"),
    ("init", "weight initialisation"),
    ("loss", "loss"),
    ("seeds", "seeds (the first is the default; all three draw the seed bands)"),
    ("budget", "wall-clock training budget per run"),
    ("flops_method", "training FLOPs"),
)
