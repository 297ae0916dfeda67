"""The local executor: run tasks in this process, same-shape tasks batched together.

The unit of work is a :class:`~battleground.core.spec.Task`, which becomes one run record. Another
executor (a cluster one) takes the same task list and returns the same records.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterable

import torch

from battleground.train import batched, checkpoint, data, engines, models, loop, problems
from battleground.core import lock, records
from battleground.core import splits as split_file
from battleground.core.spec import Task


FINISHED = ("complete", "diverged")  # training again would only repeat the same result


def existing_finished(task: Task, runs_dir: Path | str, resume: bool = True,
                      log: Callable[[str], None] = print) -> dict | None:
    """The record of ``task`` if one exists with status complete or diverged.

    A record that cannot be read beside a checkpoint (a record cut short, say) is not finished:
    the checkpoint is the truth, and resuming from it rewrites the record. Without a checkpoint
    to resume from, it is a :class:`records.RecordError`."""
    path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
    if not os.path.lexists(path):
        return None
    try:
        record = records.load_record(path)
    except records.RecordError as error:
        if not (resume and checkpoint.checkpoint_path(path).exists()):
            raise
        log(f"note: {error}; resuming from the checkpoint, which rewrites the record")
        return None
    return record if record["status"] in FINISHED else None


def keep_split(arrays: data.Arrays, config, runs_dir: Path | str) -> Path:
    """Write (or check) the split file of ``config`` beside the runs: the indices and labels of the
    validation and test images, which the site reads without torch (:mod:`battleground.core.splits`)."""
    val, test = data.split_indices(len(arrays.test_images), config)
    labels = arrays.test_labels
    return split_file.write(split_file.for_config(runs_dir, config), val.tolist(), test.tolist(),
                            labels[val].tolist(), labels[test].tolist())


def units(tasks: list[Task], runs_dir: Path | str, batch: bool | None, resume: bool) -> list[list[int]]:
    """The positions of ``tasks`` in the groups that may train together: one per (investigation,
    shape) where batching is allowed (see :func:`battleground.train.batched.shape`), else one per
    task; a task with a checkpoint to resume always trains alone."""
    groups: dict[object, list[int]] = {}
    for i, task in enumerate(tasks):
        path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
        resumable = resume and checkpoint.checkpoint_path(path).exists()
        key = (task.investigation, batched.shape(task)) if batch is not False and not resumable else i
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def run_local(
    tasks: Iterable[Task],
    device: torch.device,
    runs_dir: Path | str,
    data_dir: Path | str | None = None,
    force: bool = False,
    restart: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
    batch: bool | None = None,
    cuda_graphs: bool = False,
    report: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Train each task (skipping those already complete or diverged, unless ``force``); return
    their records in task order.

    An interrupted run resumes from its checkpoint unless ``restart`` or ``force``. Fresh tasks
    of one shape (one model and config; seeds and learning rates may differ, see
    :func:`battleground.train.batched.shape`), so a seed band and an lr sweep alike, train together
    through :mod:`battleground.train.batched` where that is faster on ``device`` (``batch=None``),
    always where it is possible (``True``) or never (``False``); a task with a checkpoint to
    resume trains alone. ``cuda_graphs`` replays the steps of models that train alone as CUDA
    graphs. Every run is locked while it trains (:mod:`battleground.core.lock`), so two processes
    never write the same record. Each data set is loaded once, and each distinct split once per
    device. ``report`` is given each record every time it is written (a cluster worker sends them
    to its driver)."""
    arrays: dict[str, data.Arrays] = {}
    splits: dict[tuple, data.Splits] = {}
    results: dict[int, dict] = {}
    tasks = list(tasks)
    for task in tasks:  # a parameter its model family lacks fails now, not hours into the sweep
        models.full_params(task.variant)
    resume = not (restart or force)
    for positions in units(tasks, runs_dir, batch, resume):
        group = [tasks[i] for i in positions]
        paths = [records.record_path(runs_dir, t.investigation, t.variant.name, t.seed) for t in group]
        with contextlib.ExitStack() as locks:
            for path in paths:
                locks.enter_context(lock.held(lock.lock_path(path), log=log))
            # checked under the locks: another process may just have finished a run
            todo = []
            for i, task in zip(positions, group):
                done = None if force else existing_finished(task, runs_dir, resume, log)
                if done is not None:
                    log(f"skipping {task.variant.name} seed {task.seed}: {done['status']} record exists (--force retrains)")
                    results[i] = done
                else:
                    todo.append(i)
            if not todo:
                continue
            todo_tasks = [tasks[i] for i in todo]
            config = todo_tasks[0].config
            if config.dataset not in arrays:
                arrays[config.dataset] = data.load_arrays(config.dataset, data_dir)
            problem = problems.for_config(config)
            seed = todo_tasks[0].seed if problem.per_seed else None  # a per-seed problem's group is one seed
            key = (config.problem, config.dataset, config.train_size, config.val_split_seed, config.val_size,
                   config.test_size, config.pairs, config.downsample, seed)
            if key not in splits:
                splits[key] = problem.make_splits(arrays[config.dataset], device, seed)
                keep_split(arrays[config.dataset], config, runs_dir)
            model = models.build(todo_tasks[0].variant, problem.shape)
            if len(todo_tasks) > 1 and engines.batches(model, config, device, batch):
                trained = batched.train_group(todo_tasks, splits[key], device, runs_dir, progress=progress,
                                              report=report)
            else:
                trained = [loop.train(t, splits[key], device, runs_dir, progress=progress, resume=resume,
                                       cuda_graphs=cuda_graphs, report=report) for t in todo_tasks]
            results.update(zip(todo, trained))
    return [results[i] for i in range(len(tasks))]
