"""Training steps replayed as one CUDA graph: a step's many small kernels for the price of one launch.

A SimpleNet2 step on a GPU is launch-bound: each of its small kernels runs for less time than
Python and the CUDA driver take to issue it. Capturing the whole step (batch
lookup, forward, backward, SGD update, loss sum) once and replaying the graph for every batch
removes that overhead. The captured step is the run's own step (``train.make_step``), reading
its batch through a fixed index buffer, so a replay does exactly what the eager step does.

Capturing needs a few warm-up steps (cuBLAS handles, allocator pools); they run on a side
stream and the weights are restored afterwards, so the run starts from its seeded
initialisation. If capture fails, :func:`capture` returns ``None`` and the run trains eagerly.

As an engine (:mod:`battleground.train.engines`), the step of the fastest engine that supports the
model (the hand-written step, else autograd) is captured once and replayed for every full batch.
Only when asked (``--cuda-graphs``), on CUDA, with plain SGD: a graph replays the learning rate it
was captured with, so the run loop captures again when the rate has changed (a schedule's rate is
read once an epoch).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Callable

import torch
from torch import nn

from battleground.train.engines import autograd, common, hand_step
from battleground.train.engines.common import Trainer

WARMUP_STEPS = 3  # what torch.cuda.graphs' documentation uses before capture


class GraphedEpoch:
    """Replays one captured training step per full batch of a data order."""

    def __init__(self, graph: torch.cuda.CUDAGraph, index: torch.Tensor, total: torch.Tensor):
        self.graph, self.index, self.total = graph, index, total

    def run(self, order: torch.Tensor) -> torch.Tensor:
        """Train on ``order``'s full batches; returns the summed batch losses x batch size."""
        size = len(self.index)
        self.total.zero_()
        for start in range(0, len(order) - size + 1, size):
            self.index.copy_(order[start : start + size])
            self.graph.replay()
        return self.total


def capture(model: nn.Module, step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
            train_x: torch.Tensor, train_y: torch.Tensor, batch_size: int) -> GraphedEpoch | None:
    """A CUDA graph of ``step`` on ``batch_size`` images of ``train_x``/``train_y`` picked by an
    index buffer, or ``None`` (with a warning) where capture fails."""
    index = torch.zeros(batch_size, dtype=torch.long, device=train_x.device)
    total = torch.zeros((), device=train_x.device)

    def body() -> None:
        total.add_(step(train_x.index_select(0, index), train_y.index_select(0, index)) * batch_size)

    saved = [tensor.detach().clone() for tensor in model.state_dict().values()]
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(WARMUP_STEPS):
                body()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            body()
    except RuntimeError as error:
        warnings.warn(f"CUDA graph capture failed, training eagerly: {error}", stacklevel=2)
        return None
    finally:
        with torch.no_grad():  # undo the warm-up steps: the run starts from its initialisation
            for tensor, value in zip(model.state_dict().values(), saved):
                tensor.copy_(value)
    return GraphedEpoch(graph, index, total)


# The engine: where graphs apply, and the trainer whose step is captured.

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
