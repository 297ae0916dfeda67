"""Autograd: the model's own forward, ``loss.backward()`` and the optimizer's step. It supports
every model, optimizer and loss, and is the reference every other engine is tested against."""

from __future__ import annotations

import functools

import torch
from torch import nn

from battleground.train.engines.common import Trainer

name = "autograd"


def supports(model: nn.Module, config, device: torch.device) -> str | None:
    return None


def build(model: nn.Module, optimizer: torch.optim.Optimizer, config, loss_fn) -> Trainer:
    from battleground.train import loop  # the run loop's step; loop imports the engines

    return Trainer(step=functools.partial(loop.training_step, model, optimizer, loss_fn))
