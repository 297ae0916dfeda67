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
    sigmoid -> classes. With ``batch_norm`` each hidden layer is normalised before its activation,
    and with ``dropout`` > 0 its output is dropped at that rate while training."""

    chain = True  # forward runs the layers in order: the fast engines may train it (engines/chain.py)

    def __init__(self, widths: tuple, activation="ReLU", batch_norm: bool = False, dropout: float = 0.0,
                 input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        activations = (activation,) * len(widths) if isinstance(activation, str) else tuple(activation)
        if len(activations) != len(widths):
            raise ValueError(f"MLP: {len(activations)} activations for {len(widths)} hidden layers; "
                             "give one, or one per width")
        layers, fan_in = [nn.Flatten()], math.prod(input_shape)
        for width, name in zip(widths, activations):
            layers.append(nn.Linear(fan_in, width))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(activation_layer(name))
            if dropout:
                layers.append(nn.Dropout(dropout))
            fan_in = width
        layers.append(nn.Linear(fan_in, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class ConvNet(nn.Module):
    """A small convolutional net, as a published course project used on 14 x 14 digit pairs:
    conv 3 x 3 to 8 channels, conv 5 x 5 to 16, conv 5 x 5 to 16 (no padding, no pooling: 14 ->
    12 -> 8 -> 4), each followed by batch normalisation if asked and the activation; then either a
    linear layer (``convs=3``) or a fourth convolution whose kernel covers what is left and whose
    channels are the classes (``convs=4``). The two are one network: the same weights in another
    shape, from the same initial draws (``tests/test_equivalence.py``); only rounding parts them."""

    chain = True  # forward runs the layers in order

    KERNELS, CHANNELS = (3, 5, 5), (8, 16, 16)

    def __init__(self, convs: int = 3, batch_norm: bool = False, activation: str = "ReLU",
                 input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        channels, side, _ = input_shape
        layers = []
        for kernel, out in zip(self.KERNELS, self.CHANNELS):
            layers.append(nn.Conv2d(channels, out, kernel_size=kernel))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(activation_layer(activation))
            channels, side = out, side - kernel + 1
        if side < 1:
            raise ValueError(f"ConvNet needs images of at least 11 x 11 pixels; these are {input_shape[1]} wide")
        if convs == 4:
            layers += [nn.Conv2d(channels, classes, kernel_size=side), nn.Flatten()]
        else:
            layers += [nn.Flatten(), nn.Linear(channels * side * side, classes)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class ResidualConvBlock(nn.Module):
    """``relu(x + bn(conv(relu(bn(conv(x))))))``: two same-size convolutions, each batch-normalised
    if asked, and a skip."""

    def __init__(self, channels: int, kernel: int, batch_norm: bool = True):
        super().__init__()
        self.first = nn.Conv2d(channels, channels, kernel_size=kernel, padding=kernel // 2)
        self.second = nn.Conv2d(channels, channels, kernel_size=kernel, padding=kernel // 2)
        self.first_norm = nn.BatchNorm2d(channels) if batch_norm else nn.Identity()
        self.second_norm = nn.BatchNorm2d(channels) if batch_norm else nn.Identity()

    def forward(self, x):
        inner = torch.relu(self.first_norm(self.first(x)))
        return torch.relu(x + self.second_norm(self.second(inner)))


class ResNet(nn.Module):
    """A 1 x 1 convolution to ``channels`` (batch norm, ReLU), ``blocks`` residual blocks
    (:class:`ResidualConvBlock`), the mean of each channel over the image, ReLU, and a linear layer to
    the classes: the ResNet of a well-known deep-learning course, which a published project used
    on digit pairs. ``batch_norm=False`` drops every normalisation."""

    def __init__(self, channels: int = 12, blocks: int = 6, kernel: int = 5, batch_norm: bool = True,
                 input_shape: tuple = MNIST_SHAPE, classes: int = MNIST_CLASSES):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], channels, kernel_size=1),
                                  nn.BatchNorm2d(channels) if batch_norm else nn.Identity(), nn.ReLU())
        self.blocks = nn.Sequential(*[ResidualConvBlock(channels, kernel, batch_norm) for _ in range(blocks)])
        self.head = nn.Linear(channels, classes)

    def forward(self, x):
        features = self.blocks(self.stem(x)).mean(dim=(2, 3))  # (N, channels)
        return self.head(torch.relu(features))


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
    """Two images, one branch: the same network (a :class:`ConvNet` or a :class:`ResNet`, one
    parameter set) gives each image of a pair (``x``: N x 2 x H x W) ``digit_classes`` logits,
    and a linear layer reads both sets side by side (2 * digit_classes -> classes). Returns
    ``{"logits": (N, classes), "digits": (N, 2, digit_classes)}``: the problem's auxiliary loss,
    when on, teaches the branch's outputs to be the digits; off, nothing asks them to be."""

    BRANCHES = {"ConvNet": ConvNet, "ResNet": ResNet}

    def __init__(self, branch: str = "ConvNet", input_shape: tuple = (2, 28, 28), classes: int = 2,
                 digit_classes: int = MNIST_CLASSES):
        super().__init__()
        if input_shape[0] != 2:
            raise ValueError(f"SiameseNet compares two images; its input has {input_shape[0]} (problem digit-pairs)")
        self.branch = self.BRANCHES[branch](input_shape=(1, *input_shape[1:]), classes=digit_classes)
        self.head = nn.Linear(2 * digit_classes, classes)

    def forward(self, x):
        n = x.shape[0]
        digits = self.branch(x.flatten(0, 1).unsqueeze(1)).view(n, 2, -1)  # both images of every pair, one batch
        return {"logits": self.head(digits.flatten(1)), "digits": digits}


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
            "ConvNet": ConvNet, "ResNet": ResNet, "SiameseNet": SiameseNet, "Conv1dNet": Conv1dNet,
            "Conv3dNet": Conv3dNet}


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

    def __init__(self, channels: tuple, kernel: int = 3, activation: str = "ReLU", *, widths: tuple,
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


class PlainZooConv(ZooConv):
    """Convolutions only, straight to the classes: no linear layers between (the catalogue lists
    no ``widths`` for these kinds)."""

    def __init__(self, channels: tuple, kernel: int = 3, activation: str = "ReLU", input_shape: tuple = MNIST_SHAPE,
                 classes: int = MNIST_CLASSES):
        super().__init__(channels, kernel, activation, widths=(), input_shape=input_shape, classes=classes)


class ZooConv1d(PlainZooConv):
    DIMS = 1


class ZooConv2d(PlainZooConv):
    DIMS = 2


class ZooConv3d(PlainZooConv):
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
