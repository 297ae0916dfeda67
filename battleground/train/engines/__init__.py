"""Engines: the ways to train, each saying what it supports, as a benchopt solver's ``skip()`` does.

One module per engine, each with ``name``, ``supports(model, config, device) -> None | str`` (None,
or one line saying why not) and, for engines of one model, ``build(model, optimizer, config,
loss_fn) -> Trainer``:

- :mod:`.autograd`: ``loss.backward()`` and the optimizer's step; supports everything and is the
  reference every other engine is tested against;
- :mod:`.hand_step`: a hand-written step of autograd's kernels without autograd,
  the same weights bit for bit;
- :mod:`.torchscript_epoch`: a whole MLP epoch of that step in TorchScript on a CPU, bit for bit
  too;
- :mod:`.cuda_graphs`: the step of the fastest of those two replayed as a CUDA graph, when asked;
- :mod:`.batched`: many same-shape models as one stacked model (trained as a group by
  :mod:`battleground.train.group`), to float rounding.

A fast engine accepts a model only where :mod:`.chain` proves its forward is a chain of layers
the engine knows, and only plain SGD on cross-entropy (:mod:`.common`); every engine reads the
learning rate from the optimizer, so a schedule that sets it works with any of them.
"""

from __future__ import annotations

import torch
from torch import nn

from battleground.train.engines import autograd, batched, cuda_graphs, hand_step, torchscript_epoch
from battleground.train.engines.common import Trainer

SINGLE = (torchscript_epoch, hand_step, autograd)  # for one model, fastest first
ALL = (autograd, hand_step, torchscript_epoch, cuda_graphs, batched)


def select(model: nn.Module, config, device: torch.device, fast: bool = True, graphs: bool = False):
    """The fastest engine that supports training ``model`` alone under ``config`` on ``device``:
    with ``graphs``, CUDA graphs where they apply; else the TorchScript epoch, the hand-written step,
    autograd, in that order. ``fast=False`` is autograd."""
    if not fast:
        return autograd
    if graphs and cuda_graphs.supports(model, config, device) is None:
        return cuda_graphs
    return next(engine for engine in SINGLE if engine.supports(model, config, device) is None)


def batches(model: nn.Module, config, device: torch.device, batch: bool | None) -> bool:
    """Whether a group of same-shape tasks of ``model`` trains as one batched model: where the
    batched engine supports it, and where that is faster (on CUDA; ``batch=None``) or asked for."""
    if batch is False or batched.supports(model, config, device) is not None:
        return False
    return batch is True or batched.worth_it(device)


def reasons(model: nn.Module, config, device: torch.device) -> dict[str, str | None]:
    """Each engine's answer for ``model``: None where it supports it, else why not."""
    return {engine.name: engine.supports(model, config, device) for engine in ALL}


__all__ = ["ALL", "SINGLE", "Trainer", "batches", "reasons", "select"]
