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


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn, x, y, **extras) -> torch.Tensor:
    """One optimizer step on a batch (``extras``: the problem's further targets, e.g. the digits
    of pairs); returns the batch's mean loss as a device tensor (no host sync)."""
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y, **extras)
    loss.backward()
    optimizer.step()
    return loss.detach()


def build(model: nn.Module, optimizer: torch.optim.Optimizer, config, loss_fn) -> Trainer:
    return Trainer(step=functools.partial(training_step, model, optimizer, loss_fn))
