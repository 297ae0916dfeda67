"""A stand-in for battleground/train/models.py in the site's tests: the models page reads classes as text."""

import torch
from torch import nn


class SimpleNet2(nn.Module):
    """784 -> 100 (-> 100 x depth) -> 10."""

    def __init__(self, activation: str = "ReLU", depth: int = 0, width: int = 100):
        super().__init__()
        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))

    def forward(self, x):
        return self.layers(x)


@torch.no_grad()
def unused():
    return None


class LeNet5(nn.Module):
    """Two conv + pool stages, three linear layers: <tags> & ampersands stay text."""

    def __init__(self, activation: str = "tanh"):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2))

    def forward(self, x):
        return self.features(x)
