"""Training recipes: activation, learning rate and StepLR schedule, one setting at a time.

A published student project swept these on Fashion-MNIST with an MLP whose width shrinks layer by
layer, trained with Adam, cross-entropy and He initialisation with zero biases, and reported
sigmoid, lr 1e-3 and a StepLR step of 30 epochs as the best combination, by final training loss.
The same sweeps here, on Fashion-MNIST and on MNIST, three seeds each, with SGD and PyTorch's
default initialisation as baselines: 784 -> 256 -> 128 -> 64 -> 10.

The committed runs train 50 epochs (so a step of 40 epochs still cuts the rate once) on the whole
training set of each data set, on a CPU.
"""

from battleground.core.config import DEFAULTS
from battleground.core.spec import Investigation, Smoke, variant

WIDTHS = (256, 128, 64)
RECIPE = {"optimizer": "Adam", "lr": 1e-3, "init": "kaiming", "zero_bias": True}
DATASETS = ("fashion-mnist", "mnist")


def mlp(dataset: str, **changes):
    """The recipe's MLP on ``dataset`` with ``changes`` to the recipe (activation, lr, schedule ...)."""
    settings = {"activation": "ReLU", **RECIPE, **changes}
    return variant("MLP", widths=WIDTHS, dataset=dataset, **settings)


def _sweep(dataset: str) -> list:
    found = [mlp(dataset, activation=a) for a in ("sigmoid", "ReLU", "tanh", "LeakyReLU")]
    found += [mlp(dataset, activation=a, lr=lr) for a in ("sigmoid", "ReLU") for lr in (1e-4, 1e-2)]
    found += [mlp(dataset, activation=a, schedule="StepLR", step_size=s)
              for a in ("sigmoid", "ReLU") for s in (20, 30, 40)]
    found += [mlp(dataset, optimizer="SGD", init="default", zero_bias=False),  # the plain baseline
              mlp(dataset, init="default", zero_bias=False)]  # Adam without He initialisation
    return found


INVESTIGATION = Investigation(
    name="training-recipes",
    question="Which activation, learning rate and StepLR schedule train this MLP best, and does it "
             "depend on the data set?",
    variants=tuple(v for dataset in DATASETS for v in _sweep(dataset)),
    config=DEFAULTS.replace(epochs=50),  # every training image
    smoke=Smoke(
        variants=(mlp("fashion-mnist", activation="sigmoid", schedule="StepLR", step_size=1),),
        config_changes={"epochs": 2, "train_size": 2_000},
    ),
)
