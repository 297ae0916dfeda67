"""The model families that investigations train.

Every family takes the activation by name, and uses exactly that activation after every hidden
layer (the published battleground once shipped a "LeNet5_ReLU" that used tanh). Weights keep
PyTorch's default initialisation, seeded by the trainer.
"""

from __future__ import annotations

import inspect

from torch import nn

from battleground.core.config import SETTINGS
from battleground.core.spec import Variant

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

PIXELS, CLASSES = 28 * 28, 10


def activation_layer(name: str) -> nn.Module:
    """A fresh activation layer called ``name``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class SimpleNet2(nn.Module):
    """An MLP: 784 -> width, then ``depth`` middle layers width -> width, then width -> 10."""

    chain = True  # forward runs the layers in order: the fast engines may train it (engines/chain.py)

    def __init__(self, depth: int, width: int = 100, activation: str = "ReLU"):
        super().__init__()
        layers = [nn.Flatten(), nn.Linear(PIXELS, width), activation_layer(activation)]
        for _ in range(depth):
            layers += [nn.Linear(width, width), activation_layer(activation)]
        layers.append(nn.Linear(width, CLASSES))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) with average pooling and a chosen activation."""

    chain = True  # forward runs features, then classifier: the fast engines may train it

    def __init__(self, activation: str = "tanh"):
        super().__init__()
        self.features = nn.Sequential(                 # shape of one image's output
            nn.Conv2d(1, 6, kernel_size=5, padding=2),   # 6 x 28 x 28
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
            nn.Linear(84, CLASSES),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


FAMILIES = {"SimpleNet2": SimpleNet2, "LeNet5": LeNet5}


def build(variant: Variant) -> nn.Module:
    """A freshly initialised model of ``variant`` (seed the global RNG first for repeatable weights)."""
    return FAMILIES[variant.family](**full_params(variant))


class VariantError(ValueError):
    """A variant whose parameters its model family does not take."""


def full_params(variant: Variant) -> dict:
    """``variant``'s model parameters with the family's defaults filled in (e.g. SimpleNet2's
    width); its training settings (``lr``) are not the model's. A parameter the family does not
    take is an error that names the variant and what it could have said."""
    family = FAMILIES[variant.family]
    signature = inspect.signature(family)
    try:
        bound = signature.bind(**variant.model_kwargs)
    except TypeError as error:
        raise VariantError(f"variant {variant.name}: {error}; {variant.family} takes "
                         f"{', '.join(signature.parameters)}, and a variant may also set the training "
                         f"settings {', '.join(SETTINGS)}") from None
    bound.apply_defaults()
    return dict(sorted(bound.arguments.items()))


def layers_in_order(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """``model``'s leaf layers with their names, in registration order: the order in which our
    families, built of ``Sequential`` containers, run them."""
    return [(name, layer) for name, layer in model.named_modules() if not any(True for _ in layer.children())]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
