"""The parallel executor: tasks of different shapes in worker processes, one thread each.

Networks of different shapes cannot be batched into one model, so a zoo of them trains fastest on
a CPU as many independent processes, each on one core. Each worker runs the local executor
(:func:`battleground.train.sweep.run_local`) on a few tasks at a time: it loads the data once per
chunk, skips finished runs, resumes interrupted ones and locks each run while it trains, so two
``battleground run --jobs`` on one machine share the work instead of repeating it.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from battleground.core.spec import Task

CHUNK = 8  # tasks a worker takes at once: one data load each, small enough to keep the workers even


@dataclass(frozen=True)
class Throughput:
    trained: int  # runs that ended (complete or diverged) in this call, finished ones skipped aside
    seconds: float
    jobs: int

    @property
    def per_hour(self) -> float:
        return 3600 * self.trained / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        return (f"trained {self.trained} runs in {self.seconds:.1f} s with {self.jobs} one-thread processes: "
                f"{self.per_hour:.0f} runs per hour")


def _one_thread(jobs: int) -> None:
    # Set before torch starts its thread pools: N processes of one thread each use N cores without
    # oversubscribing them.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    import torch

    from battleground.train import provenance

    provenance.EXECUTOR = {"name": "local", "processes": jobs}
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)


def _work(args: tuple) -> list[tuple[int, dict, bool]]:
    """Train one chunk; ``(position, record, trained here)`` for each of its tasks."""
    from battleground.train import sweep

    positions, tasks, runs_dir, data_dir, force, restart = args
    finished = [not force and sweep.existing_finished(t, runs_dir, not restart, log=lambda _: None) is not None
                for t in tasks]
    done = sweep.run_local(tasks, _device(), runs_dir, data_dir=data_dir, force=force, restart=restart,
                           progress=False, log=lambda _: None, batch=False)
    return [(i, record, not skipped) for i, record, skipped in zip(positions, done, finished)]


def _device():
    import torch

    return torch.device("cpu")


def run_parallel(tasks: list[Task], runs_dir: Path | str, jobs: int, data_dir: Path | str | None = None,
                 force: bool = False, restart: bool = False,
                 log: Callable[[str], None] = print) -> tuple[list[dict], Throughput]:
    """Train ``tasks`` on the CPU in ``jobs`` worker processes of one thread each; returns their
    records in task order and the throughput of the runs trained here."""
    size = max(1, min(CHUNK, -(-len(tasks) // jobs)))  # a short sweep still spreads over every worker
    chunks = [(list(range(start, min(start + size, len(tasks)))), tasks[start:start + size],
               str(runs_dir), data_dir, force, restart) for start in range(0, len(tasks), size)]
    records: dict[int, dict] = {}
    trained = 0
    begun = time.perf_counter()
    # spawn: a fresh interpreter per worker, so each sets its thread count before torch loads
    with multiprocessing.get_context("spawn").Pool(jobs, initializer=_one_thread, initargs=(jobs,)) as pool:
        for results in pool.imap_unordered(_work, chunks):
            for i, record, fresh in results:
                records[i] = record
                trained += fresh
                log(f"{record['variant']} seed {record['seed']}: {record['status']}"
                    + ("" if fresh else " (already finished)"))
    return [records[i] for i in range(len(tasks))], Throughput(trained, time.perf_counter() - begun, jobs)
