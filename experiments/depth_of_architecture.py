"""Depth of architecture: what do extra middle layers buy an MLP, per training FLOP?

The published battleground's second question. SimpleNet2 with 0 to 50 middle layers of 100 units,
each with the eight activations of the activation-functions investigation. Deep stacks of some
activations (sigmoid, ReLU) collapse to predicting a single class; the records keep the final
predicted-class counts so the site can say so.
"""

from battleground.core.spec import Investigation, Smoke, variant
from experiments.activation_functions import ACTIVATIONS

DEPTHS = (0, 1, 2, 3, 4, 5, 10, 20, 50)

INVESTIGATION = Investigation(
    name="depth-of-architecture",
    question="How does accuracy per training FLOP change with the number of middle layers?",
    variants=tuple(variant("SimpleNet2", depth=d, activation=a) for d in DEPTHS for a in ACTIVATIONS),
    smoke=Smoke(
        variants=(variant("SimpleNet2", depth=3, activation="sigmoid"),),
        config_changes={"epochs": 1, "train_size": 2_000},
    ),
)
