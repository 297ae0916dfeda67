"""CUDA graphs (:mod:`battleground.train.cuda_graph`): the step of the fastest engine that
supports the model (the hand-written step, else autograd) captured once and replayed for every
full batch. Only when asked (``--cuda-graphs``), on CUDA, with plain SGD: a graph replays the
learning rate it was captured with, so the run loop captures again when the rate has changed
(a schedule's rate is read once an epoch)."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from battleground.train.engines import autograd, common, hand_step
from battleground.train.engines.common import Trainer

name = "cuda-graphs"


def supports(model: nn.Module, config, device: torch.device) -> str | None:
    if device.type != "cuda":
        return f"CUDA graphs need a CUDA device; this run is on {device.type}"
    reason = common.plain_sgd(config)
    return None if reason is None else f"CUDA graphs capture a step that {reason}"


def inner(model: nn.Module, config, device: torch.device):
    """The engine whose step the graph replays."""
    return hand_step if hand_step.supports(model, config, device) is None else autograd


def build(model: nn.Module, optimizer: torch.optim.Optimizer, config, loss_fn) -> Trainer:
    device = next(model.parameters()).device
    trainer = inner(model, config, device).build(model, optimizer, config, loss_fn)
    return dataclasses.replace(trainer, cuda_graphs=True)
