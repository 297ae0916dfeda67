"""The local executor: run tasks one after another in this process.

The unit of work is a :class:`~battleground.spec.Task`, which becomes one run record. Another
executor (a batched one training many same-shape tasks at once, a cluster one) takes the same
task list and returns the same records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import torch

from battleground import data, records, train
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
) -> list[dict]:
    """Train each task in turn (skipping those already complete, unless ``force``); return
    their records. Each data set is loaded once, and each distinct split once per device."""
    arrays: dict[str, data.Arrays] = {}
    splits: dict[tuple, data.Splits] = {}
    results = []
    for task in tasks:
        done = None if force else existing_complete(task, runs_dir)
        if done is not None:
            log(f"skipping {task.variant.name} seed {task.seed}: complete record exists (--force retrains)")
            results.append(done)
            continue
        config = task.config
        if config.dataset not in arrays:
            arrays[config.dataset] = data.load_arrays(config.dataset, data_dir)
        key = (config.dataset, config.train_size, config.val_split_seed, config.val_size, config.test_size)
        if key not in splits:
            splits[key] = data.make_splits(arrays[config.dataset], config, device)
        results.append(train.train(task, splits[key], device, runs_dir, progress=progress))
    return results
