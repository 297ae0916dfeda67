"""Training FLOPs per step, counted two ways.

- ``profiler``: ``torch.profiler.profile(with_flops=True)`` over one training step, summing the
  events' FLOPs. This is the published battleground's method, so our numbers compare with theirs.
  It counts matrix products and convolutions *forward*, and the backward matrix products
  (``aten::mm``), but not ``aten::convolution_backward``: conv nets are undercounted.
- ``complete``: ``torch.utils.flop_counter.FlopCounterMode``, which also counts the convolution
  backward.

Neither counts element-wise work (activations, the loss, bias gradients, the optimizer's in-place
``add_``); on a training step of our models the profiler's events that carry FLOPs are only
``aten::addmm``, ``aten::mm`` and ``aten::conv2d``, so for an MLP both counters agree exactly.
Both count a multiply-add as 2 FLOPs. Evaluation is not training and is never counted here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

# Kineto otherwise prints "profiler_start/stop" lines to stderr on every profile, through the
# progress bars. Read when the profiler first starts, so setting it here (after import) works.
os.environ.setdefault("KINETO_LOG_LEVEL", "6")


@dataclass(frozen=True)
class StepFlops:
    """FLOPs of one training step (forward + backward + optimizer step)."""

    profiler: int
    complete: int


def profiler_flops(step: Callable[[], object]) -> int:
    """FLOPs of one call of ``step`` as the PyTorch profiler counts them."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], with_flops=True) as prof:
        step()
    # Only leaf-level compute ops carry FLOPs (aten::linear's FLOPs sit on its aten::addmm
    # child, aten::conv2d's on itself), so summing every event counts each op once.
    return int(sum(event.flops for event in prof.events() if event.flops))


def complete_flops(step: Callable[[], object]) -> int:
    """FLOPs of one call of ``step`` as ``FlopCounterMode`` counts them (convolution backward too)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return int(counter.get_total_flops())


def step_flops(step: Callable[[], object]) -> StepFlops:
    """Both counts for a training step. ``step`` is called twice: pass a step on a throwaway
    copy of the model and optimizer, so the run being measured is not changed."""
    return StepFlops(profiler=profiler_flops(step), complete=complete_flops(step))
