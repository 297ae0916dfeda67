"""The parallel executor: tasks of different shapes in worker processes, one thread each.

Networks of different shapes cannot be batched into one model, so a zoo of them trains fastest on
a CPU as many independent processes, each on one core. Each worker runs the local executor
(:func:`battleground.train.local.run_local`) on a few tasks at a time: it loads the data once per
chunk, and through :mod:`battleground.train.executor` skips finished runs and locks each run while
it trains, so two ``battleground run --jobs`` on one machine share the work instead of repeating it.

Ctrl-C (or SIGTERM), whether the terminal sends it to every process or only the driver gets it,
stops a sweep as it stops a run in one process: each worker's run loop marks its runs
``interrupted`` (their checkpoints stay, to resume from), no chunk starts after it, and the driver
waits for its workers before it raises :class:`KeyboardInterrupt`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from battleground.core.spec import Task

PR_SET_PDEATHSIG = 1  # linux/prctl.h
CHUNK = 8  # tasks a worker takes at once at most: one data load each
# chunks per worker at least: a sweep of 16 runs, depth 20 before depth 50, once went in two
# chunks of 8, and the worker with the quicker half sat idle for 40 minutes
SPREAD = 4
STOP_S = 10  # how long a stopping driver waits for its workers to save their records before it kills them


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


def _end_with(driver: int) -> None:
    """End this worker when its driver ends, however it ends: a SIGKILLed driver cannot tell its
    workers to stop, and orphans would go on training (and holding their runs' locks). Linux
    delivers a signal on the parent's death (prctl PR_SET_PDEATHSIG); elsewhere a watchdog thread
    looks for a new parent every second."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform.startswith("linux") else None
    if libc is not None and libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
        if os.getppid() != driver:  # the driver died before the request was made
            os._exit(1)
        return

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="driver-watchdog").start()


_training = False  # this worker is in a chunk: a stop interrupts its run loop
_stopped = False  # this worker was told to stop: it trains nothing more


def _stop_here(signum, frame) -> None:
    """A worker's SIGINT and SIGTERM: the first interrupts the chunk in training, if any (its run
    loop marks the runs ``interrupted``); another, from the driver or a second Ctrl-C, is ignored,
    so it cannot cut those writes short."""
    global _stopped
    if not _stopped:
        _stopped = True
        if _training:
            raise KeyboardInterrupt


def _one_thread(driver: int) -> None:
    signal.signal(signal.SIGINT, _stop_here)  # first: a Ctrl-C while torch loads stops the worker quietly
    signal.signal(signal.SIGTERM, _stop_here)
    _end_with(driver)
    # Set before torch starts its thread pools: N processes of one thread each use N cores without
    # oversubscribing them.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)


def _work(args: tuple) -> list[tuple[int, dict, bool]]:
    """Train one chunk; ``(position, record, trained here)`` for each of its tasks. A stopped
    worker raises :class:`KeyboardInterrupt`, which the driver gets as the chunk's result."""
    from battleground.train import executor, local

    global _training
    _training = True
    try:
        if _stopped:
            raise KeyboardInterrupt
        positions, tasks, runs_dir, data_dir, force, restart, replace, jobs = args
        finished = [not force and executor.existing_finished(t, runs_dir, not restart, log=lambda _: None) is not None
                    for t in tasks]
        done = local.run_local(tasks, _device(), runs_dir, data_dir=data_dir, force=force, restart=restart,
                               replace=replace, progress=False, log=_worker_log, batch=False,
                               trained_by=executor.describe("local", processes=jobs))
        return [(i, record, not skipped) for i, record, skipped in zip(positions, done, finished)]
    finally:
        _training = False


def _worker_log(line: str) -> None:
    """A worker says its notes and resumes; the driver says which runs were skipped or finished."""
    if not line.startswith("skipping "):
        print(line, flush=True)


def _device():
    import torch

    return torch.device("cpu")


def chunk_size(tasks: int, jobs: int) -> int:
    """Tasks per chunk: at most :data:`CHUNK`, and few enough that each of ``jobs`` workers takes
    :data:`SPREAD` chunks or more, so that the workers stay even when some runs take longer."""
    return max(1, min(CHUNK, tasks // (jobs * SPREAD)))


def run_parallel(tasks: list[Task], runs_dir: Path | str, jobs: int, data_dir: Path | str | None = None,
                 force: bool = False, restart: bool = False, replace: bool = False,
                 log: Callable[[str], None] = print) -> tuple[list[dict], Throughput]:
    """Train ``tasks`` on the CPU in ``jobs`` worker processes of one thread each; returns their
    records in task order and the throughput of the runs trained here."""
    from battleground.train import executor

    executor.check_nothing_lost(tasks, runs_dir, force, restart, replace=replace)  # before any worker starts
    jobs = max(1, min(jobs, len(tasks)))  # a worker without a task would only load torch
    size = chunk_size(len(tasks), jobs)
    chunks = [(list(range(start, min(start + size, len(tasks)))), tasks[start:start + size],
               str(runs_dir), data_dir, force, restart, replace, jobs) for start in range(0, len(tasks), size)]
    records: dict[int, dict] = {}
    trained = 0
    begun = time.perf_counter()
    # spawn: a fresh interpreter per worker, so each sets its thread count before torch loads
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_one_thread,
                               initargs=(os.getpid(),))
    try:
        for done in as_completed([pool.submit(_work, chunk) for chunk in chunks]):
            for i, record, fresh in done.result():
                records[i] = record
                trained += fresh
                log(f"{record['variant']} seed {record['seed']}: {record['status']}"
                    + ("" if fresh else " (already finished)"))
    except BaseException:  # Ctrl-C, SIGTERM (see the command line) or a worker's error
        _stop(pool)
        raise
    pool.shutdown()
    return [records[i] for i in range(len(tasks))], Throughput(trained, time.perf_counter() - begun, jobs)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers of ``pool`` as Ctrl-C stops a run, and wait for them: the chunks not begun
    are dropped, and each worker is sent SIGINT (one the terminal already stopped ignores it). A
    worker still running after ``STOP_S`` seconds is killed; its runs resume from their checkpoints."""
    pool.shutdown(wait=False, cancel_futures=True)
    workers = multiprocessing.active_children()  # the pool's workers: the driver starts no other process
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_S
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
    pool.shutdown()
