"""The model families that investigations train.

Every family takes the activation by name, and uses exactly that activation after every hidden
layer (the published battleground once shipped a "LeNet5_ReLU" that used tanh). Weights start
with PyTorch's default initialisation, seeded by the trainer, which may then re-initialise them
(``config.init``). Each family also takes ``input_shape`` (channels, height, width of one input)
and ``classes`` from the problem it is trained on, never from a constant; the catalogue
(``battleground.core.catalogue.FAMILIES``) lists the parameters a variant may set.
"""

from __future__ import annotations

import inspect
import math

from torch import nn

from battleground.core.spec import Variant, model_params

ACTIVATIONS = {  # name, as in battleground.core.spec.ACTIVATIONS -> layer class
    "none": nn.Identity,
    "ReLU": nn.ReLU,
    "ELU": nn.ELU,
    "LeakyReLU": nn.LeakyReLU,
    "PReLU": nn.PReLU,  # one learned slope per layer
    "SiLU": nn.SiLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "SELU": nn.SELU,
    "GELU": nn.GELU,
}

MNIST_SHAPE, MNIST_CLASSES = (1, 28, 28), 10  # the default problem's, for a model built without one


def activation_layer(name: str) -> nn.Module:
    """A fresh activation layer called ``name``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class SimpleNet2(nn.Module):
    """An MLP: 784 -> width, then ``depth`` middle layers width -> width, then width -> 10."""

    chain = True  # forward runs the layers in order: the fast engines may train it (engines/chain.py)

    def __init__(self, depth: int, width: int = 100, activation: str = "ReLU",
                 input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        layers = [nn.Flatten(), nn.Linear(math.prod(input_shape), width), activation_layer(activation)]
        for _ in range(depth):
            layers += [nn.Linear(width, width), activation_layer(activation)]
        layers.append(nn.Linear(width, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) with average pooling and a chosen activation."""

    chain = True  # forward runs features, then classifier: the fast engines may train it

    def __init__(self, activation: str = "tanh", input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        self.features = nn.Sequential(                 # shape of one image's output
            nn.Conv2d(input_shape[0], 6, kernel_size=5, padding=2),   # 6 x 28 x 28
            activation_layer(activation),
            nn.AvgPool2d(2),                             # 6 x 14 x 14
            nn.Conv2d(6, 16, kernel_size=5),             # 16 x 10 x 10
            activation_layer(activation),
            nn.AvgPool2d(2),                             # 16 x 5 x 5
            nn.Conv2d(16, 120, kernel_size=5),           # 120 x 1 x 1
            activation_layer(activation),
            nn.Flatten(),                                # 120
        )
        self.classifier = nn.Sequential(
            nn.Linear(120, 84),
            activation_layer(activation),
            nn.Linear(84, classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class MLP(nn.Module):
    """An MLP with one width per hidden layer, ``widths=(950, 50)``, and one activation for all
    of them or one per layer, ``activation=("ReLU", "sigmoid")``: input -> 950 -> ReLU -> 50 ->
    sigmoid -> classes."""

    chain = True  # forward runs the layers in order: the fast engines may train it (engines/chain.py)

    def __init__(self, widths: tuple, activation="ReLU", input_shape: tuple = MNIST_SHAPE,
                 classes: int = MNIST_CLASSES):
        super().__init__()
        activations = (activation,) * len(widths) if isinstance(activation, str) else tuple(activation)
        if len(activations) != len(widths):
            raise ValueError(f"MLP: {len(activations)} activations for {len(widths)} hidden layers; "
                             "give one, or one per width")
        layers, fan_in = [nn.Flatten()], math.prod(input_shape)
        for width, name in zip(widths, activations):
            layers += [nn.Linear(fan_in, width), activation_layer(name)]
            fan_in = width
        layers.append(nn.Linear(fan_in, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class Residual(nn.Module):
    """One residual block: ``h + act(W h)``."""

    def __init__(self, width: int, activation: str):
        super().__init__()
        self.linear, self.activation = nn.Linear(width, width), activation_layer(activation)

    def forward(self, h):
        return h + self.activation(self.linear(h))


class ResidualMLP(nn.Module):
    """input -> width -> act, then ``blocks`` residual blocks ``h + act(W h)``, then width -> classes."""

    def __init__(self, width: int = 100, blocks: int = 2, activation: str = "ReLU",
                 input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), width), activation_layer(activation))
        self.blocks = nn.Sequential(*[Residual(width, activation) for _ in range(blocks)])
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class SiameseNet(nn.Module):
    """Two images, one branch: the same MLP (image -> width -> act -> width -> act) is applied
    to each image of a pair (``x``: N x 2 x H x W), and a head reads both branches' features
    side by side (2 * width -> classes). With ``digit_logits`` each branch also classifies its
    own image (width -> ``digit_classes``), and the model returns ``{"logits": (N, classes),
    "digits": (N, 2, digit_classes)}``, which the problem's auxiliary loss reads; without, the
    logits alone."""

    def __init__(self, width: int = 100, activation: str = "ReLU", digit_logits: bool = True,
                 input_shape: tuple = (2, 28, 28), classes: int = 2, digit_classes: int = MNIST_CLASSES):
        super().__init__()
        if input_shape[0] != 2:
            raise ValueError(f"SiameseNet compares two images; its input has {input_shape[0]} (problem digit-pairs)")
        pixels = math.prod(input_shape[1:])
        self.branch = nn.Sequential(nn.Flatten(), nn.Linear(pixels, width), activation_layer(activation),
                                    nn.Linear(width, width), activation_layer(activation))
        self.head = nn.Linear(2 * width, classes)
        self.digits = nn.Linear(width, digit_classes) if digit_logits else None

    def forward(self, x):
        n = x.shape[0]
        features = self.branch(x.flatten(0, 1).unsqueeze(1))  # both images of every pair, one batch
        logits = self.head(features.view(n, -1))
        if self.digits is None:
            return logits
        return {"logits": logits, "digits": self.digits(features).view(n, 2, -1)}


class Conv1dNet(nn.Module):
    """1-D convolutions along an image's rows: the image (C x 28 x 28) is a sequence of 28 rows,
    and a row's C * 28 pixels are the channels at its position, so a kernel of 3 sees three
    neighbouring rows whole. conv(3) -> act -> avgpool(2) twice (28 -> 14 -> 7 positions), then
    a linear layer."""

    def __init__(self, channels: int = 32, activation: str = "ReLU", input_shape: tuple = MNIST_SHAPE,
                 classes: int = MNIST_CLASSES):
        super().__init__()
        c, height, width = input_shape
        self.layers = nn.Sequential(
            nn.Conv1d(c * width, channels, kernel_size=3, padding=1), activation_layer(activation), nn.AvgPool1d(2),
            nn.Conv1d(channels, 2 * channels, kernel_size=3, padding=1), activation_layer(activation), nn.AvgPool1d(2),
            nn.Flatten(),
            nn.Linear(2 * channels * (height // 4), classes),
        )

    def forward(self, x):
        n, c, height, width = x.shape
        return self.layers(x.permute(0, 1, 3, 2).reshape(n, c * width, height))  # (N, channels, rows)


class Conv3dNet(nn.Module):
    """3-D convolutions over an image cut into 4 bands of 7 rows stacked as depth: a C x 28 x 28
    image becomes a C-channel volume of 4 x 7 x 28, so a 3 x 3 x 3 kernel sees neighbouring
    rows and columns within a band and the same place in the neighbouring bands (7 rows away).
    conv -> act -> avgpool(2, 1, 2) twice (4 x 7 x 28 -> 2 x 7 x 14 -> 1 x 7 x 7), then a linear layer."""

    BANDS = 4

    def __init__(self, channels: int = 8, activation: str = "ReLU", input_shape: tuple = MNIST_SHAPE,
                 classes: int = MNIST_CLASSES):
        super().__init__()
        c, height, width = input_shape
        if height % self.BANDS:
            raise ValueError(f"Conv3dNet cuts the image into {self.BANDS} bands; {height} rows do not divide")
        self.layers = nn.Sequential(
            nn.Conv3d(c, channels, kernel_size=3, padding=1), activation_layer(activation), nn.AvgPool3d((2, 1, 2)),
            nn.Conv3d(channels, 2 * channels, kernel_size=3, padding=1), activation_layer(activation),
            nn.AvgPool3d((2, 1, 2)),
            nn.Flatten(),
            nn.Linear(2 * channels * (self.BANDS // 4) * (height // self.BANDS) * (width // 4), classes),
        )

    def forward(self, x):
        n, c, height, width = x.shape
        return self.layers(x.reshape(n, c, self.BANDS, height // self.BANDS, width))


FAMILIES = {"SimpleNet2": SimpleNet2, "LeNet5": LeNet5, "MLP": MLP, "ResidualMLP": ResidualMLP,
            "SiameseNet": SiameseNet, "Conv1dNet": Conv1dNet, "Conv3dNet": Conv3dNet}
PROBLEM_ARGS = ("input_shape", "classes", "digit_classes")  # what a model takes from its problem


def build(variant: Variant, shape: dict | None = None) -> nn.Module:
    """A freshly initialised model of ``variant`` (seed the global RNG first for repeatable
    weights), shaped for a problem: ``shape`` holds its ``input_shape``, ``classes`` and
    ``digit_classes`` (``battleground.train.problems.Problem.shape``); default, MNIST
    classification."""
    family = FAMILIES[variant.family]
    accepted = inspect.signature(family).parameters
    problem_args = {key: value for key, value in (shape or {}).items() if key in accepted}
    return family(**full_params(variant), **problem_args)


def full_params(variant: Variant) -> dict:
    """``variant``'s model parameters with the family's defaults filled in (e.g. SimpleNet2's
    width); its training settings (``lr``) are not the model's (:func:`spec.model_params`)."""
    return model_params(variant)


def layers_in_order(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``model``'s leaf layers with their names, in registration order: the order in which our
    families, built of ``Sequential`` containers, run them."""
    return [(name, layer) for name, layer in model.named_modules() if not any(True for _ in layer.children())]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
