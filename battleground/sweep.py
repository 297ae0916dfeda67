"""The local executor: run tasks in this process, same-shape tasks batched together.

The unit of work is a :class:`~battleground.spec.Task`, which becomes one run record. Another
executor (a cluster one) takes the same task list and returns the same records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import torch

from battleground import batched, data, models, records, train
from battleground.spec import Task


def existing_complete(task: Task, runs_dir: Path | str) -> dict | None:
    """The record of ``task`` if one exists with status complete."""
    path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
    if not path.exists():
        return None
    record = records.load_record(path)
    return record if record["status"] == "complete" else None


def run_local(
    tasks: Iterable[Task],
    device: torch.device,
    runs_dir: Path | str,
    data_dir: Path | str | None = None,
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
    batch: bool = True,
) -> list[dict]:
    """Train each task (skipping those already complete, unless ``force``); return their records
    in task order. With ``batch``, tasks that share a variant and config (different seeds) train
    together through :mod:`battleground.batched`. Each data set is loaded once, and each
    distinct split once per device."""
    arrays: dict[str, data.Arrays] = {}
    splits: dict[tuple, data.Splits] = {}
    results: dict[int, dict] = {}
    groups: dict[tuple, list[int]] = {}  # (variant, config) -> positions of the tasks to train
    tasks = list(tasks)
    for i, task in enumerate(tasks):
        done = None if force else existing_complete(task, runs_dir)
        if done is not None:
            log(f"skipping {task.variant.name} seed {task.seed}: complete record exists (--force retrains)")
            results[i] = done
        else:
            groups.setdefault((task.investigation, task.variant, task.config) if batch else i, []).append(i)
    for positions in groups.values():
        group = [tasks[i] for i in positions]
        config = group[0].config
        if config.dataset not in arrays:
            arrays[config.dataset] = data.load_arrays(config.dataset, data_dir)
        key = (config.dataset, config.train_size, config.val_split_seed, config.val_size, config.test_size)
        if key not in splits:
            splits[key] = data.make_splits(arrays[config.dataset], config, device)
        if len(group) > 1 and batched.worth_batching(models.build(group[0].variant), device):
            trained = batched.train_group(group, splits[key], device, runs_dir, progress=progress)
        else:
            trained = [train.train(task, splits[key], device, runs_dir, progress=progress) for task in group]
        results.update(zip(positions, trained))
    return [results[i] for i in range(len(tasks))]
