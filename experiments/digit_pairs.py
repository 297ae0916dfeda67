"""Digit pairs: which of two digits is greater, with fully connected, convolutional, residual and
Siamese networks, and an auxiliary loss on the digits.

A published course project benchmarked these architectures on a small derived task: two MNIST
digits, each average-pooled to 14 x 14, stacked as a 2 x 14 x 14 input; 1,000 training pairs from
MNIST's training images and 1,000 test pairs from its test images, drawn anew for every repeat.
The same here, with each repeat's pairs and initialisation drawn from its seed: 1,000 training
pairs, 1,000 validation pairs (from the validation part of MNIST's test images) and 1,000 test
pairs (from the held-out test part), no image in two pairs. Our target is 1 when the first digit
is greater (a tie is "not greater"); the original's is 1 when the first is less or equal, the
same task with the classes swapped.

Training as the original: Adam, batch 250, 50 epochs, cross-entropy; learning rate 1e-3 for the
fully connected nets, 2e-4 with dropout, 4e-4 for the convolutional nets, 5e-3 for ResNet and
Siamese. 15 repeats of the fully connected and convolutional nets, 10 of ResNet and Siamese. The
original does not state its dropout rate; ours is the common 0.5.
"""

from battleground.core.config import DEFAULTS
from battleground.core.spec import Investigation, Smoke, variant

ACTIVATIONS = ("ReLU", "tanh", "LeakyReLU")
SEEDS = tuple(range(1, 16))  # 15 repeats; ResNet and Siamese take the first 10
COSTLY_SEEDS = SEEDS[:10]


def fcnn(activation: str, batch_norm: bool = False, dropout: float = 0.0):
    """392 -> 1000 -> 1000 -> 2, optionally with batch normalisation and dropout."""
    return variant("MLP", widths=(1000, 1000), activation=activation, batch_norm=batch_norm, dropout=dropout,
                   lr=2e-4 if dropout else 1e-3)


def cnn(activation: str, convs: int, batch_norm: bool = False):
    return variant("ConvNet", convs=convs, batch_norm=batch_norm, activation=activation, lr=4e-4)


def siamese(branch: str, aux: bool):
    return variant("SiameseNet", branch=branch, aux_weight=1.0 if aux else 0.0, lr=5e-3)


FCNNS = tuple(fcnn(a, bn, d) for a in ACTIVATIONS for bn in (False, True) for d in (0.0, 0.5))
CNNS = tuple(cnn(a, convs, bn) for a in ACTIVATIONS for convs in (3, 4) for bn in (False, True))
RESNET = variant("ResNet", channels=12, blocks=6, kernel=5, lr=5e-3)
SIAMESE = tuple(siamese(branch, aux) for branch in ("ConvNet", "ResNet") for aux in (False, True))

INVESTIGATION = Investigation(
    name="digit-pairs",
    question="Which architecture tells which of two digits is greater from 1,000 examples, and does "
             "teaching it the digits (an auxiliary loss) help?",
    variants=FCNNS + CNNS + (RESNET,) + SIAMESE,
    seeds=SEEDS,
    variant_seeds=tuple((v.name, COSTLY_SEEDS) for v in (RESNET,) + SIAMESE),
    config=DEFAULTS.replace(problem="digit-pairs", pairs=1_000, downsample=2, optimizer="Adam", batch_size=250,
                            epochs=50),
    smoke=Smoke(
        variants=(siamese("ConvNet", aux=True), cnn("ReLU", 4, batch_norm=True)),
        config_changes={"epochs": 2, "pairs": 200},
    ),
)
