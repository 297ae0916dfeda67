"""What every executor does around training, written once for the local one, ``--jobs`` and Ray.

An executor decides where tasks train; around the training they all do the same things, and they
do them here:

- refuse, before anything trains, a sweep that would discard recorded epochs
  (:func:`check_nothing_lost`), unless told to: ``--replace`` trains again the finished runs that
  fall short of what the sweep asks (:func:`falls_short`), ``--force`` every run;
- lock each run's record while it trains, and under the locks skip the runs that are already
  finished (:func:`claimed`), since another process may just have finished one;
- mark a run that stopped mid-way ``interrupted`` (:func:`mark_interrupted`);
- say which executor trained a run: a description (:func:`describe`) that travels with the tasks
  to the run loop, which writes it into the record's ``environment.executor``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from battleground.core import lock, records
from battleground.core.config import TrainConfig
from battleground.core.spec import Task
from battleground.train import checkpoint

FINISHED = ("complete", "diverged")  # training again would only repeat the same result
LOCAL = {"name": "local"}  # the local executor in this process, the default of every record
# How long a run trains is the sweep's to choose (a continuation, a budget on other hardware);
# every other setting decides what the run measured.
LENGTH_SETTINGS = ("epochs", "budget_s")


def changed_settings(record: dict, task: Task) -> list[str]:
    """The settings a finished ``record`` trained with otherwise than ``task`` asks, each as
    ``name held (asked: wanted)``; its length (:data:`LENGTH_SETTINGS`) is the sweep's to choose."""
    held = TrainConfig(**record["config"]).as_dict()
    wanted = task.config.as_dict()
    return [f"{key} {_shown(held[key])} (asked: {_shown(wanted[key])})" for key in wanted
            if key not in LENGTH_SETTINGS and held[key] != wanted[key]]


def falls_short(record: dict, task: Task) -> str | None:
    """Why a finished ``record`` is not the run ``task`` asks for, or None when it is: it trained
    with other settings (:func:`changed_settings`; the investigation's settings changed since, say
    to train on every image), or it is complete with fewer epochs than ``--epochs`` asks. A
    diverged run stopped where training can tell no more, so its length never falls short."""
    changed = changed_settings(record, task)
    if changed:
        return "trained with " + ", ".join(changed)
    epochs, asked = len(record["epochs"]["epoch"]), task.config.epochs
    if record["status"] == "complete" and asked is not None and epochs < asked:
        return f"a complete run of {epochs} epochs, and --epochs {asked} asks for more"
    return None


def _shown(value) -> str:
    return "none (all)" if value is None else f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) \
        else str(value)


def describe(name: str, **details) -> dict:
    """The ``environment.executor`` block of the records an executor writes: its name and what it
    ran on (``processes`` of ``--jobs``; a Ray cluster's address, shares and nodes)."""
    return {"name": name, **details}


def record_path(task: Task, runs_dir: Path | str) -> Path:
    return records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)


def existing_finished(task: Task, runs_dir: Path | str, resume: bool = True,
                      log: Callable[[str], None] = print) -> dict | None:
    """The record of ``task`` if one exists with status complete or diverged and does not fall
    short of it (:func:`falls_short`: such a record is to be replaced, which
    :func:`check_nothing_lost` allows only when asked to).

    A record that cannot be read beside a checkpoint (a record cut short, say) is not finished:
    the checkpoint is the truth, and resuming from it rewrites the record. Without a checkpoint
    to resume from, it is a :class:`records.RecordError`."""
    path = record_path(task, runs_dir)
    if not os.path.lexists(path):
        return None
    try:
        record = records.load_record(path)
    except records.RecordError as error:
        if not (resume and checkpoint.checkpoint_path(path).exists()):
            raise
        log(f"note: {error}; resuming from the checkpoint, which rewrites the record")
        return None
    if records.is_smoke(record) != task.smoke:  # a smoke record is no run of the investigation: replaced
        return None
    return record if record["status"] in FINISHED and falls_short(record, task) is None else None


class WouldDiscard(Exception):
    """Training would replace a record's epochs, which only ``--force`` may do; the message says
    which record, what it holds and what to do."""


def check_nothing_lost(tasks: Iterable[Task], runs_dir: Path | str, force: bool = False, restart: bool = False,
                       resumable: Callable[[Path], bool] | None = None, replace: bool = False) -> None:
    """Refuse, before anything trains, a sweep that would throw away recorded epochs: an unfinished
    record with epochs and no checkpoint to continue it (``resumable``: whether one exists beside
    the record; ``--restart`` says to start such runs afresh), or a finished record that falls
    short of its task (:func:`falls_short`: other settings, or fewer epochs than ``--epochs``
    asks), which keeps no checkpoint to continue from. ``replace`` allows the second, ``force``
    both. A record with more epochs than asked is kept: finished runs are skipped. A smoke run's
    record is no result: a real run replaces it; but a smoke run never replaces a real run's
    record, even with ``force``."""
    resumable = resumable or (lambda path: checkpoint.checkpoint_path(path).exists())
    for task in tasks:
        path = record_path(task, runs_dir)
        if (force and not task.smoke) or not path.is_file():
            continue
        try:
            record = records.load_record(path)
        except records.RecordError:
            continue  # said where it is met: resumed from a checkpoint, else refused with --force
        if task.smoke and not records.is_smoke(record):
            raise WouldDiscard(f"{path}: a real run's record, which a smoke run never replaces; leave out --runs-dir "
                               f"(smoke runs go to {records.SMOKE_RUNS_DIR}/ by default) or give another folder")
        if force or records.is_smoke(record) != task.smoke:
            continue
        held = len(record["epochs"]["epoch"])
        short = falls_short(record, task) if record["status"] in FINISHED else None
        if short and not replace:
            raise WouldDiscard(f"{path}: {short}; a finished run keeps no checkpoint to continue from, so it would "
                               f"train again from epoch 1: use --replace to discard its {held} epochs (and those "
                               "of every run that falls short like it)")
        if record["status"] not in FINISHED and held and not restart and not resumable(path):
            raise WouldDiscard(f"{path}: {held} epochs of an unfinished run (status {record['status']}) and no "
                               f"checkpoint to resume from; training it now would discard them: use --force (or "
                               "--restart) to train it again from epoch 1")


@dataclass
class Claim:
    """The runs of one :func:`claimed` block: ``todo``, the positions to train; ``finished``,
    position -> the finished record found for each of the others."""

    todo: list[int] = field(default_factory=list)
    finished: dict[int, dict] = field(default_factory=dict)


@contextlib.contextmanager
def claimed(tasks: list[Task], positions: Iterable[int], runs_dir: Path | str, force: bool, resume: bool,
            log: Callable[[str], None] = print, say_skips: bool = True) -> Iterator[Claim]:
    """Hold the lock of each run of ``tasks`` at ``positions`` (:mod:`battleground.core.lock`), so
    two processes never write one record, and sort them, under the locks, into finished runs
    (skipped unless ``force``) and runs to train. ``say_skips``: log each skip in a line of its
    own (else the caller says them, e.g. as one count)."""
    claim = Claim()
    with contextlib.ExitStack() as locks:
        positions = list(positions)
        for i in positions:
            locks.enter_context(lock.held(lock.lock_path(record_path(tasks[i], runs_dir)), log=log))
        for i in positions:  # checked under the locks: another process may just have finished a run
            task = tasks[i]
            done = None if force else existing_finished(task, runs_dir, resume, log)
            if done is None:
                claim.todo.append(i)
                continue
            claim.finished[i] = done
            if say_skips:
                log(f"skipping {task.variant.name} seed {task.seed}: {done['status']} record exists (--force retrains)")
        yield claim


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def mark_interrupted(record: dict) -> bool:
    """Mark ``record`` of a run that stopped mid-way ``interrupted``, if it was ``running``;
    returns whether it changed (and so needs writing)."""
    if record["status"] != "running":
        return False
    record.update(status="interrupted", finished=now())
    return True
