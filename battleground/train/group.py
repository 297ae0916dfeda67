"""Train K same-shape tasks (one model and config; different seeds or learning rates) together
through the run loop, as one batched model (:mod:`battleground.train.engines.batched`).

Each model stays what it would be alone (the engine says how), and keeps its own run record and
checkpoint, written after every epoch; which tasks may share a batch is :func:`shape`'s to say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from battleground.train import checkpoint, executor, loop, problems
from battleground.train.engines import batched as engine
from battleground.core import records
from battleground.core.config import SETTINGS
from battleground.train.data import Splits
from battleground.core.spec import Task


PER_MODEL = ("lr",)  # the training settings in which the models of one batch may differ


def shape(task: Task) -> tuple:
    """What tasks must share to train as one batch: the model (family and parameters) and every
    training setting but those of :data:`PER_MODEL`. Seeds, and so data orders, may differ, except
    where the seed draws the data itself (digit pairs with ``pairs`` set): there each seed is its
    own shape."""
    shared = tuple((key, getattr(task.config, key)) for key in SETTINGS if key not in PER_MODEL)
    own_data = (task.seed,) if problems.for_config(task.config).per_seed else ()
    return task.variant.family, tuple(sorted(task.variant.model_kwargs.items())), shared, own_data


def _check_same_shape(tasks: list[Task]) -> None:
    """Tasks that :func:`shape` says may train together, each run once; else a clear error."""
    first = tasks[0]
    runs = [(t.investigation, t.variant.name, t.seed) for t in tasks]
    if len(set(runs)) < len(runs):
        raise ValueError(f"batched training needs each run once; got {runs}")
    for task in tasks[1:]:
        if shape(task)[:2] != shape(first)[:2]:
            raise ValueError(f"batched training needs one model; got {first.variant.name} and {task.variant.name}")
        if shape(task) != shape(first):
            differ = [f"{key} ({getattr(first.config, key)!r} and {getattr(task.config, key)!r})"
                      for key, value in shape(first)[2] if getattr(task.config, key) != value]
            raise ValueError(f"batched training needs one config but for {', '.join(PER_MODEL)}; "
                             f"{first.variant.name} and {task.variant.name} differ in {', '.join(differ)}")


def train_group(tasks: list[Task], splits: Splits, device: torch.device, runs_dir: Path | str,
                progress: bool = True, report: Callable[[dict], None] | None = None,
                trained_by: dict = executor.LOCAL) -> list[dict]:
    """Train same-shape ``tasks`` (see :func:`shape`) together; return their records, each written
    after every epoch with its own task's config (its own ``lr``).

    The epoch count follows the single path's rule: a fixed ``config.epochs``, else one timed
    epoch of one model *alone*, so batching changes how fast a sweep finishes, not how many
    epochs a variant's budget buys. An epoch's ``seconds`` is the group's epoch time divided by
    K (each model's share); the record says how many models shared it in ``batched_models``.

    Each model gets its own checkpoint, as a run trained alone does, written at the start and
    after every epoch before its record: an interrupted group resumes model by model through
    :func:`battleground.train.loop.train` (``battleground run`` again), from its last completed epoch.
    A model that resumes alone continues to float rounding of the batched course, not bit for bit.
    """
    _check_same_shape(tasks)
    config = tasks[0].config
    timed_epoch_s, epochs = loop.plan_epochs(tasks[0], splits, device, progress)  # as if alone
    states = [loop.init_state(task, device) for task in tasks]
    step = loop.measure_flops(states[0].model, splits, config)  # one shape: one count for all
    members = []
    for task, state in zip(tasks, states):
        loop.attach_schedule(state, task.config, epochs)
        state.record = loop.new_record(task, splits, state, step, timed_epoch_s, epochs, device, trained_by)
        state.record.update(engine=engine.name, batched_models=len(tasks))
        path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
        members.append(loop.Member(task, state, path, checkpoint.checkpoint_path(path)))
    loop.start(members, epochs)  # every record validated before any is written

    stacked = engine.StackedModels(states, config)

    def train_epochs() -> list[float]:
        losses = stacked.train_epoch(splits)
        stacked.copy_to_models()
        return losses

    names = " ".join(dict.fromkeys(t.variant.name for t in tasks))
    seeds = ",".join(dict.fromkeys(str(t.seed) for t in tasks))
    return loop.run_epochs(members, splits, epochs, train_epochs, f"{names} seeds {seeds}", progress, report)
