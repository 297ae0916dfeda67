"""The local executor: run tasks one after another in this process.

The unit of work is a :class:`~battleground.spec.Task`, which becomes one run record. Another
executor (a batched one training many same-shape tasks at once, a cluster one) takes the same
task list and returns the same records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import torch

from battleground import data, lock, records, train
from battleground.spec import Task


FINISHED = ("complete", "diverged")  # training again would only repeat the same result


def existing_finished(task: Task, runs_dir: Path | str) -> dict | None:
    """The record of ``task`` if one exists with status complete or diverged."""
    path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
    if not path.exists():
        return None
    record = records.load_record(path)
    return record if record["status"] in FINISHED else None


def run_local(
    tasks: Iterable[Task],
    device: torch.device,
    runs_dir: Path | str,
    data_dir: Path | str | None = None,
    force: bool = False,
    restart: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> list[dict]:
    """Train each task in turn (skipping those already complete or diverged, unless ``force``);
    return their records. An interrupted run resumes from its checkpoint unless ``restart`` or
    ``force``. Each run is locked while it trains (:mod:`battleground.lock`), so two processes
    never write the same record. Each data set is loaded once, and each distinct split once per
    device."""
    arrays: dict[str, data.Arrays] = {}
    splits: dict[tuple, data.Splits] = {}
    results = []
    for task in tasks:
        path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
        with lock.held(lock.lock_path(path), log=log):  # checked under the lock: another may just have finished it
            done = None if force else existing_finished(task, runs_dir)
            if done is not None:
                log(f"skipping {task.variant.name} seed {task.seed}: {done['status']} record exists (--force retrains)")
                results.append(done)
                continue
            config = task.config
            if config.dataset not in arrays:
                arrays[config.dataset] = data.load_arrays(config.dataset, data_dir)
            key = (config.dataset, config.train_size, config.val_split_seed, config.val_size, config.test_size)
            if key not in splits:
                splits[key] = data.make_splits(arrays[config.dataset], config, device)
            resume = not (restart or force)
            results.append(train.train(task, splits[key], device, runs_dir, progress=progress, resume=resume))
    return results
