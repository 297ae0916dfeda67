"""The model families that investigations train.

Every family takes the activation by name, and uses exactly that activation after every hidden
layer (the published battleground once shipped a "LeNet5_ReLU" that used tanh). Weights start
with PyTorch's default initialisation, seeded by the trainer, which may then re-initialise them
(``config.init``). Each family also takes ``input_shape`` (channels, height, width of one input)
and ``classes`` from the problem it is trained on, never from a constant; the catalogue
(``battleground.core.catalogue.FAMILIES``) lists the parameters a variant may set.
"""

from __future__ import annotations

import copy
import inspect
import math

import torch
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


# --- the network zoo (experiments/network_zoo.py; catalogue.ZOO_FAMILIES) -----------------------
# Each zoo network is a chain of one computation kind. Convolutions have stride 2 and "same"
# padding, so every layer halves the image and a network of three stays cheap on one CPU core.


class Basic(nn.Module):
    """The zoo's baseline: one linear layer, input -> classes, with bias (784 -> 10: 7,850 weights)."""

    chain = True  # forward runs the layers in order

    def __init__(self, input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), classes))

    def forward(self, x):
        return self.layers(x)


class ZooLinear(nn.Module):
    """Linear layers of ``widths``, each followed by ``activation``, then one to ``classes``."""

    chain = True  # forward runs the layers in order

    def __init__(self, widths: tuple, activation: str = "ReLU", input_shape: tuple = MNIST_SHAPE,
                 classes: int = MNIST_CLASSES):
        super().__init__()
        layers, fan_in = [nn.Flatten()], math.prod(input_shape)
        for width in widths:
            layers += [nn.Linear(fan_in, width), activation_layer(activation)]
            fan_in = width
        layers.append(nn.Linear(fan_in, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def fold_image(x, dims: int):
    """An image batch (N, C, H, W) as a ``dims``-D convolution reads it: 1, a sequence of H rows
    whose C * W pixels are the channels (N, C*W, H); 2, unchanged; 3, a volume of 4 bands of H/4
    rows (N, C, 4, H/4, W). A view, no copy."""
    n, c, height, width = x.shape
    if dims == 1:
        return x.permute(0, 1, 3, 2).reshape(n, c * width, height)
    if dims == 3:
        return x.reshape(n, c, 4, height // 4, width)
    return x


def folded_shape(input_shape: tuple, dims: int) -> tuple:
    """(channels, *positions) of one image after :func:`fold_image`."""
    c, height, width = input_shape
    return {1: (c * width, height), 2: (c, height, width), 3: (c, 4, height // 4, width)}[dims]


class ZooConv(nn.Module):
    """Convolutions of ``dims`` dimensions, one per entry of ``channels``, each of stride 2 with
    "same" padding and followed by ``activation``; then hidden linear layers of ``widths`` (the
    ...ThenLinear kinds) and one linear layer to ``classes``."""

    DIMS = 2

    def __init__(self, channels: tuple, kernel: int = 3, activation: str = "ReLU", widths: tuple = (),
                 input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        if self.DIMS == 3 and input_shape[1] % 4:
            raise ValueError(f"{type(self).__name__} cuts the image into 4 bands; {input_shape[1]} rows do not divide")
        convolution = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[self.DIMS]
        fan_in, *positions = folded_shape(input_shape, self.DIMS)
        layers = []
        for out in channels:
            layers += [convolution(fan_in, out, kernel, stride=2, padding=kernel // 2), activation_layer(activation)]
            positions = [(n + 2 * (kernel // 2) - kernel) // 2 + 1 for n in positions]
            fan_in = out
        layers.append(nn.Flatten())
        fan_in *= math.prod(positions)
        for width in widths:
            layers += [nn.Linear(fan_in, width), activation_layer(activation)]
            fan_in = width
        layers.append(nn.Linear(fan_in, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(fold_image(x, self.DIMS))


class ZooConv1d(ZooConv):
    DIMS = 1


class ZooConv2d(ZooConv):
    DIMS = 2


class ZooConv3d(ZooConv):
    DIMS = 3


class ZooConv1dThenLinear(ZooConv):
    DIMS = 1


class ZooConv2dThenLinear(ZooConv):
    DIMS = 2


class ZooConv3dThenLinear(ZooConv):
    DIMS = 3


class ResidualSum(nn.Module):
    """``a + b`` as a layer of its own, so that counting a network's layers and intermediate
    tensors (:func:`footprint`) sees the addition of a residual block."""

    def forward(self, a, b):
        return a + b


class BasicBlock(nn.Module):
    """ResNet's BasicBlock (He et al., 2016): conv3x3-BN-act-conv3x3-BN, plus the input (through a
    1x1 convolution of stride 2 and BN where the channels change), then act."""

    def __init__(self, c_in: int, c_out: int, activation: str):
        super().__init__()
        stride = 1 if c_in == c_out else 2
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1, self.act1 = nn.BatchNorm2d(c_out), activation_layer(activation)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity() if stride == 1 else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
        self.sum, self.act2 = ResidualSum(), activation_layer(activation)

    def forward(self, x):
        return self.act2(self.sum(self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))), self.shortcut(x)))


class ZooResNet(nn.Module):
    """A 3x3 stem of stride 2 (28 -> 14), one :class:`BasicBlock` per entry of ``channels`` (a
    change of channels halves the image again), global average pooling, one linear layer."""

    def __init__(self, channels: tuple, activation: str = "ReLU", input_shape: tuple = MNIST_SHAPE,
                 classes: int = MNIST_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], channels[0], 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(channels[0]), activation_layer(activation))
        self.blocks = nn.Sequential(*[BasicBlock(c_in, c_out, activation)
                                      for c_in, c_out in zip(channels[:1] + channels[:-1], channels)])
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels[-1], classes))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


ZOO_FAMILIES = {"Basic": Basic, "ZooLinear": ZooLinear, "ZooConv1d": ZooConv1d, "ZooConv2d": ZooConv2d,
                "ZooConv3d": ZooConv3d, "ZooConv1dThenLinear": ZooConv1dThenLinear,
                "ZooConv2dThenLinear": ZooConv2dThenLinear, "ZooConv3dThenLinear": ZooConv3dThenLinear,
                "ZooResNet": ZooResNet}
FAMILIES.update(ZOO_FAMILIES)
NOT_COUNTED = (nn.Identity, nn.Flatten)  # no computation, and no tensor of their own (a view at most)


@torch.no_grad()
def footprint(model: nn.Module, input_shape: tuple) -> tuple[int, int]:
    """``(memory, operations)`` of ``model`` for one input of ``input_shape``: memory is the
    elements of the input and of every tensor a layer makes on the way (each leaf layer's output),
    operations the leaf layers run. Identity (the activation "none") and Flatten make no tensor of
    their own and are not counted. Measured on a copy in evaluation mode, so the model's batch
    statistics and random state stay as they were."""
    twin = copy.deepcopy(model).eval()
    counted = {"memory": math.prod(input_shape), "operations": 0}

    def count(_module, _inputs, output):
        outputs = output.values() if isinstance(output, dict) else (output,)
        counted["memory"] += sum(o.numel() for o in outputs)
        counted["operations"] += 1

    hooks = [layer.register_forward_hook(count) for _, layer in layers_in_order(twin)
             if not isinstance(layer, NOT_COUNTED)]
    try:
        twin(torch.zeros(1, *input_shape, device=next(twin.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
    return counted["memory"], counted["operations"]
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
