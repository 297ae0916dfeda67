"""Activation functions: which nonlinearity buys the most accuracy per training FLOP?

The published battleground's first question. A shallow MLP (SimpleNet2 with no middle layer) and
LeNet5, each with the eight activations it compared, under the same training recipe.
"""

from battleground.core.spec import Investigation, Smoke, variant

ACTIVATIONS = ("none", "ReLU", "ELU", "LeakyReLU", "PReLU", "SiLU", "sigmoid", "tanh")

INVESTIGATION = Investigation(
    name="activation-functions",
    question="Which activation function trains fastest per FLOP on MNIST?",
    variants=tuple(
        [variant("SimpleNet2", depth=0, activation=a) for a in ACTIVATIONS]
        + [variant("LeNet5", activation=a) for a in ACTIVATIONS]
    ),
    smoke=Smoke(
        variants=(
            variant("SimpleNet2", depth=0, activation="ReLU"),
            variant("LeNet5", activation="tanh"),
        ),
        config_changes={"epochs": 2, "train_size": 2_000},
    ),
)
