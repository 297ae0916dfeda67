"""Model families for the engine and FLOP tests that are not (yet) the project's own: networks
whose forward is not a chain of their layers, and convolutions in one and three dimensions.
Kept here, not in ``battleground.train.models``, so the tests do not depend on another branch."""

from __future__ import annotations

import torch
from torch import nn

from battleground.train.models import MNIST_CLASSES as CLASSES

PIXELS = 28 * 28


class ResidualMLP(nn.Module):
    """784 -> width, then ``blocks`` residual blocks ``h + relu(W h + b)``, then width -> 10. Its
    leaf layers (Flatten, Linear, ReLU, Linear, ReLU, Linear) read like a plain MLP's."""

    def __init__(self, blocks: int = 1, width: int = 32):
        super().__init__()
        self.inp = nn.Sequential(nn.Flatten(), nn.Linear(PIXELS, width), nn.ReLU())
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.ReLU()) for _ in range(blocks))
        self.out = nn.Linear(width, CLASSES)

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class Siamese(nn.Module):
    """Two images in (``N x 2 x 28 x 28``), one shared branch for each, their features side by
    side into the head. Its leaf layers read like an MLP's too."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.branch = nn.Sequential(nn.Flatten(), nn.Linear(PIXELS, width), nn.ReLU())
        self.head = nn.Linear(2 * width, CLASSES)

    def forward(self, x):
        return self.head(torch.cat([self.branch(x[:, 0:1]), self.branch(x[:, 1:2])], dim=1))


def conv1d_net(channels: int = 4, kernel: int = 5) -> nn.Sequential:
    """The image as one 784-pixel row (``N x 1 x 28 x 28`` viewed as ``N x 1 x 784``)."""
    return nn.Sequential(nn.Flatten(2), nn.Conv1d(1, channels, kernel), nn.ReLU(), nn.Flatten(),
                         nn.Linear(channels * (PIXELS - kernel + 1), CLASSES))


def conv3d_net(channels: int = 2) -> nn.Sequential:
    """The image as a one-slice volume (``N x 1 x 1 x 28 x 28``), a 1x3x3 kernel."""
    return nn.Sequential(nn.Unflatten(1, (1, 1)), nn.Conv3d(1, channels, (1, 3, 3)), nn.ReLU(), nn.Flatten(),
                         nn.Linear(channels * 26 * 26, CLASSES))


def pairs(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Two-digit examples from one batch: each image beside the next, labelled by their sum mod 10."""
    other = x.roll(1, 0)
    return torch.cat([x, other], dim=1), (y + y.roll(1, 0)) % CLASSES
