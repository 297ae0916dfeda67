"""Training FLOPs per step, counted two ways.

- ``profiler``: ``torch.profiler.profile(with_flops=True)`` over one training step, summing the
  events' FLOPs. This is the published battleground's method, so our numbers compare with theirs.
  It counts matrix products and convolutions *forward*, and the backward matrix products
  (``aten::mm``), but not ``aten::convolution_backward``: conv nets are undercounted.
  It gives ``aten::conv1d`` and ``aten::conv3d`` no FLOPs at all, forward included, and it
  counts the out-of-place element-wise ``aten::add`` and ``aten::mul`` (one FLOP an element):
  a residual connection, or the gradients of a weight shared by two branches adding up.
- ``complete``: ``torch.utils.flop_counter.FlopCounterMode``, which counts every convolution,
  forward and backward, and no element-wise work (nor batch norm: ``tests/test_flops.py``).

Neither counts activations, the loss, bias gradients or the optimizer's in-place ``add_``; on a
training step of a chain of linear layers the profiler's events that carry FLOPs are only
``aten::addmm`` and ``aten::mm``, so for an MLP both counters agree exactly. Both count a
multiply-add as 2 FLOPs. Evaluation is not training and is never counted here.

Whether the profiler missed a layer's forward is measured, not looked up by layer type: both
counters also count one forward pass on the step's batch, and ``profiler_complete`` is whether
the profiler's count of it reaches FlopCounterMode's. (Element-wise additions the profiler counts
could hide a missed layer whose FLOPs are fewer than theirs; no family comes close.) A run whose
profiler count is incomplete is charted by the complete count.
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
    profiler_complete: bool | None = None  # the profiler counted every layer's forward (None: not checked)


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


def step_flops(step: Callable[[], object], forward: Callable[[], object] | None = None) -> StepFlops:
    """Both counts for a training step, and with ``forward`` (the model's forward pass on the
    step's batch) whether the profiler counted every layer's forward. ``step`` is called twice
    and ``forward`` twice: pass them a throwaway copy of the model and optimizer, so the run being
    measured is not changed."""
    counted = None
    if forward is not None:
        counted = profiler_flops(forward) >= complete_flops(forward)
    return StepFlops(profiler=profiler_flops(step), complete=complete_flops(step), profiler_complete=counted)
