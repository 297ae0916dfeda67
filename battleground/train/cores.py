"""``battleground bench --cores N``: how a sweep should spend a CPU's cores, measured.

A sweep of small networks can use N cores as one process of N threads (torch's intra-op
parallelism splits each layer's work) or as N processes of one thread (``--jobs N``: each trains
its own run). For one family's trainer on this machine, this times both, one after the other:
the process of N threads for ``epochs`` epochs, then N one-thread processes training at once
from a common start, and prints the model-epochs per second of each and their ratio (above 1:
the processes win). Data loading and warm-up epochs are left out of both timings. It needs a
quiet machine: anything else on the cores counts against whichever way runs beside it.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Callable

import torch

from battleground.core.config import SEEDS
from battleground.core.spec import Task

CPU = torch.device("cpu")


def _trainer(family: str, data_dir: str | None, train_size: int | None) -> Callable[[], None]:
    """One epoch of the trainer on ``family``'s benchmarked model, data loaded and ready."""
    from battleground.train import bench, data, loop

    config = bench.family_config(family, train_size or 1).replace(train_size=train_size)
    splits = data.make_splits(data.load_arrays(config.dataset, data_dir), config, CPU)
    state = loop.init_state(Task("bench", bench.VARIANTS[family], SEEDS[0], config), CPU)
    return lambda: loop.train_epoch(state, splits, config)


def _timed_epochs(epoch: Callable[[], None], epochs: int, warmup: int, start=None) -> float:
    """Seconds for ``epochs`` epochs after ``warmup`` untimed ones (and, with ``start``, a barrier
    every process passes together)."""
    for _ in range(warmup):
        epoch()
    if start is not None:
        start.wait()
    begun = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return time.perf_counter() - begun


def _one_thread_worker(family, data_dir, train_size, epochs, warmup, start, results) -> None:
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    results.put(_timed_epochs(_trainer(family, data_dir, train_size), epochs, warmup, start))


def compare(family: str, cores: int, epochs: int, warmup: int, data_dir: str | None = None,
            train_size: int | None = None, log: Callable[[str], None] = print) -> dict:
    """Model-epochs per second of one process of ``cores`` threads and of ``cores`` one-thread
    processes, and their ratio."""
    threads_before = torch.get_num_threads()
    torch.set_num_threads(cores)
    try:
        threaded_s = _timed_epochs(_trainer(family, data_dir, train_size), epochs, warmup)
    finally:
        torch.set_num_threads(threads_before)
    context = multiprocessing.get_context("spawn")  # fresh interpreters, each on one thread
    start, results = context.Barrier(cores), context.Queue()
    workers = [context.Process(target=_one_thread_worker, daemon=True,
                               args=(family, data_dir, train_size, epochs, warmup, start, results))
               for _ in range(cores)]
    for worker in workers:
        worker.start()
    try:
        each_s = [results.get() for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    found = {"family": family, "cores": cores, "epochs": epochs,
             "one_process_model_epochs_per_s": epochs / threaded_s,
             "processes_model_epochs_per_s": cores * epochs / max(each_s)}
    found["processes_vs_threads"] = found["processes_model_epochs_per_s"] / found["one_process_model_epochs_per_s"]
    log(f"{family} on {cores} cores: one process of {cores} threads {found['one_process_model_epochs_per_s']:.3f} "
        f"model-epochs/s, {cores} one-thread processes {found['processes_model_epochs_per_s']:.3f} "
        f"({found['processes_vs_threads']:.2f}x)")
    return found
