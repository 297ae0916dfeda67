"""The local executor: run tasks in this process, same-shape tasks batched together.

The unit of work is a :class:`~battleground.core.spec.Task`, which becomes one run record. The
other executors (``--jobs`` worker processes, a Ray cluster) run this one on their share of the
tasks; what all of them do around training (locks, skips, refusals) is
:mod:`battleground.train.executor`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import torch

from battleground.train import checkpoint, data, engines, executor, group, models, loop, problems
from battleground.core import splits as split_file
from battleground.core.spec import Task


def keep_split(arrays: data.Arrays, config, runs_dir: Path | str) -> Path:
    """Write (or check) the split file of ``config`` beside the runs: the indices and labels of the
    validation and test images, which the site reads without torch (:mod:`battleground.core.splits`)."""
    val, test = data.split_indices(len(arrays.test_images), config)
    labels = arrays.test_labels
    return split_file.write(split_file.for_config(runs_dir, config), val.tolist(), test.tolist(),
                            labels[val].tolist(), labels[test].tolist())


def units(tasks: list[Task], runs_dir: Path | str, batch: bool | None, resume: bool) -> list[list[int]]:
    """The positions of ``tasks`` in the groups that may train together: one per (investigation,
    shape) where batching is allowed (see :func:`battleground.train.group.shape`), else one per
    task; a task with a checkpoint to resume always trains alone."""
    groups: dict[object, list[int]] = {}
    for i, task in enumerate(tasks):
        resumable = resume and checkpoint.checkpoint_path(executor.record_path(task, runs_dir)).exists()
        key = (task.investigation, group.shape(task)) if batch is not False and not resumable else i
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
    trained_by: dict = executor.LOCAL,
    replace: bool = False,
) -> list[dict]:
    """Train each task (skipping those already complete or diverged, unless ``force``); return
    their records in task order.

    An interrupted run resumes from its checkpoint unless ``restart`` or ``force``; ``replace``
    trains again the finished runs that fall short of their task
    (:func:`battleground.train.executor.falls_short`). Fresh tasks
    of one shape (one model and config; seeds and learning rates may differ, see
    :func:`battleground.train.group.shape`), so a seed band and an lr sweep alike, train together
    through :mod:`battleground.train.group` where that is faster on ``device`` (``batch=None``),
    always where it is possible (``True``) or never (``False``); a task with a checkpoint to
    resume trains alone. ``cuda_graphs`` replays the steps of models that train alone as CUDA
    graphs. Every run is locked while it trains, and finished runs are skipped under the locks
    (:func:`battleground.train.executor.claimed`). Each data set is loaded once, and each distinct
    split once per device. ``report`` is given each record every time it is written (a cluster
    worker sends them to its driver); ``trained_by`` describes the executor for the records. A
    sweep that would discard recorded epochs is refused before anything trains
    (:func:`battleground.train.executor.check_nothing_lost`)."""
    arrays: dict[str, data.Arrays] = {}
    splits: dict[tuple, data.Splits] = {}
    results: dict[int, dict] = {}
    tasks = list(tasks)
    for task in tasks:  # a parameter its model family lacks fails now, not hours into the sweep
        models.full_params(task.variant)
    resume = not (restart or force)
    executor.check_nothing_lost(tasks, runs_dir, force, restart, replace=replace)
    for positions in units(tasks, runs_dir, batch, resume):
        with executor.claimed(tasks, positions, runs_dir, force, resume, log) as claim:
            results.update(claim.finished)
            todo = claim.todo
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
                trained = group.train_group(todo_tasks, splits[key], device, runs_dir, progress=progress,
                                            report=report, trained_by=trained_by)
            else:
                trained = [loop.train(t, splits[key], device, runs_dir, progress=progress, resume=resume,
                                       cuda_graphs=cuda_graphs, report=report, log=log, trained_by=trained_by)
                           for t in todo_tasks]
            results.update(zip(todo, trained))
    return [results[i] for i in range(len(tasks))]
