"""The node budget: how should 1,000 hidden nodes be spread over the layers of an MLP?

A widely read forum thread reported that two layers of 950 and 50 nodes, ReLU then sigmoid,
reached 99.28% on MNIST and beat one layer of 1,000 by 0.2 points, "statistically significant",
and that going deeper did not help. Eight ways to spend the same 1,000 nodes, each with ReLU in
every hidden layer and with ReLU then sigmoid in the last one, trained with Adam and with SGD with
momentum, three seeds each; the page compares them on the held-out test images.

The runs committed here train 20 epochs over all 60,000 training images, on a CPU: long enough
for most layouts to settle, shorter than the thread's training.
"""

from battleground.core.config import DEFAULTS
from battleground.core.spec import Investigation, Smoke, variant

LAYOUTS = ((1000,), (950, 50), (900, 100), (800, 200), (500, 500), (500, 300, 200), (250,) * 4, (100,) * 10)
OPTIMIZERS = ({"optimizer": "Adam", "lr": 1e-3}, {"optimizer": "SGD", "lr": 0.01, "momentum": 0.9})


def last_sigmoid(widths: tuple[int, ...]) -> tuple[str, ...]:
    """ReLU in every hidden layer but the last, which is sigmoid (the thread's 950-50)."""
    return ("ReLU",) * (len(widths) - 1) + ("sigmoid",)


def _variants(optimizer: dict) -> list:
    return [variant("MLP", widths=w, activation=a, **optimizer)
            for w in LAYOUTS for a in ("ReLU", last_sigmoid(w))]


INVESTIGATION = Investigation(
    name="node-budget",
    question="How should a budget of 1,000 hidden nodes be spread over an MLP's layers?",
    variants=tuple(v for optimizer in OPTIMIZERS for v in _variants(optimizer)),
    config=DEFAULTS.replace(epochs=20),  # every training image
    smoke=Smoke(
        variants=(variant("MLP", widths=(950, 50), activation=("ReLU", "sigmoid"), **OPTIMIZERS[0]),),
        config_changes={"epochs": 1, "train_size": 2_000},
    ),
)
