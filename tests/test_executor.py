"""What every executor does around training (:mod:`battleground.train.executor`), without training:
finished runs are skipped under their locks, a run in progress is locked against a second claim,
only a running record is marked interrupted, and the executor's description reaches the record's
provenance block."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from battleground.core import lock, records
from battleground.core.config import DEFAULTS
from battleground.core.spec import Task, variant
from battleground.train import executor, provenance
from tests.site_fixtures import make_record

NAME = "executor-check"
TASKS = [Task(NAME, variant("SimpleNet2", activation=activation, depth=0), 1729, DEFAULTS.replace(epochs=3))
         for activation in ("ReLU", "tanh", "sigmoid")]


def _write(task: Task, runs, status: str = "complete", epochs: int = 3) -> dict:
    record = make_record(NAME, task.variant, task.seed, epochs=epochs, status=status)
    records.write_record(executor.record_path(task, runs), record)
    return record


def test_finished_runs_are_skipped_under_their_locks_and_the_rest_are_claimed(tmp_path):
    _write(TASKS[0], tmp_path)                      # complete: skipped
    _write(TASKS[1], tmp_path, status="interrupted")  # unfinished: trained (resumed)
    said = []
    with executor.claimed(TASKS, range(3), tmp_path, force=False, resume=True, log=said.append) as claim:
        assert claim.todo == [1, 2] and list(claim.finished) == [0]
        assert claim.finished[0]["status"] == "complete"
        for task in TASKS:  # every run of the block is locked, skipped ones included, until it ends
            assert lock.lock_path(executor.record_path(task, tmp_path)).exists()
    assert said == [f"skipping {TASKS[0].variant.name} seed 1729: complete record exists (--force retrains)"]
    assert not any(lock.lock_path(executor.record_path(task, tmp_path)).exists() for task in TASKS)


def test_force_claims_finished_runs_and_a_caller_may_say_the_skips_itself(tmp_path):
    _write(TASKS[0], tmp_path)
    with executor.claimed(TASKS, [0], tmp_path, force=True, resume=False, log=pytest.fail) as claim:
        assert claim.todo == [0] and claim.finished == {}
    with executor.claimed(TASKS, [0], tmp_path, force=False, resume=False, log=pytest.fail,
                          say_skips=False) as claim:
        assert claim.todo == [] and list(claim.finished) == [0]


def test_a_run_claimed_by_another_runner_is_refused_naming_it(tmp_path):
    held = lock.acquire(lock.lock_path(executor.record_path(TASKS[2], tmp_path)))
    try:
        with pytest.raises(lock.LockHeld, match="already being trained by pid"):
            with executor.claimed(TASKS, range(3), tmp_path, force=False, resume=True, log=lambda _: None):
                pass
    finally:
        lock.release(lock.lock_path(executor.record_path(TASKS[2], tmp_path)), held)


def test_a_smoke_record_is_no_finished_run_of_the_investigation(tmp_path):
    _write(TASKS[0], tmp_path)
    smoke = dataclasses.replace(TASKS[0], smoke=True)
    assert executor.existing_finished(TASKS[0], tmp_path) is not None
    assert executor.existing_finished(smoke, tmp_path) is None


def test_only_a_running_record_is_marked_interrupted():
    running = make_record(NAME, TASKS[0].variant, 1729, status="running")
    assert executor.mark_interrupted(running) and running["status"] == "interrupted" and running["finished"]
    for status in ("complete", "diverged", "interrupted"):
        record = make_record(NAME, TASKS[0].variant, 1729, status=status)
        before = dict(record)
        assert not executor.mark_interrupted(record) and record == before


def test_the_executors_description_is_the_records_environment_executor():
    described = executor.describe("local", processes=4)
    assert described == {"name": "local", "processes": 4}
    assert provenance.environment(torch.device("cpu"), described)["executor"] == described
    assert "executor" not in provenance.environment(torch.device("cpu"))  # a measurement, not a run


def _trained_with(task: Task, status: str = "complete", epochs: int = 3, **changes) -> dict:
    """A record of ``task`` trained with its settings, but for ``changes``."""
    record = make_record(NAME, task.variant, task.seed, epochs=epochs, status=status)
    record["config"] = task.config.replace(**changes).as_dict()
    return record


def test_a_finished_run_falls_short_of_a_task_with_other_settings_or_more_epochs():
    task = TASKS[0]  # DEFAULTS with epochs=3: every training image
    assert executor.falls_short(_trained_with(task), task) is None
    assert executor.falls_short(_trained_with(task, epochs=7, budget_s=60), task) is None  # length: the sweep's
    smaller = _trained_with(task, train_size=10_000)
    assert executor.falls_short(smaller, task) == "trained with train_size 10,000 (asked: none (all))"
    two = _trained_with(task, lr=0.1, optimizer="Adam")
    assert executor.falls_short(two, task) == "trained with optimizer Adam (asked: SGD), lr 0.1 (asked: 0.001)"
    longer = dataclasses.replace(task, config=task.config.replace(epochs=5))
    assert executor.falls_short(_trained_with(task), longer) == \
        "a complete run of 3 epochs, and --epochs 5 asks for more"
    assert executor.falls_short(_trained_with(task, status="diverged"), longer) is None  # it stopped for good


def test_a_run_that_falls_short_is_replaced_only_when_asked_and_the_others_are_kept(tmp_path):
    records.write_record(executor.record_path(TASKS[0], tmp_path), _trained_with(TASKS[0]))
    records.write_record(executor.record_path(TASKS[1], tmp_path), _trained_with(TASKS[1], train_size=10_000))
    with pytest.raises(executor.WouldDiscard, match=r"tanh.*trained with train_size 10,000 \(asked: none \(all\)\); "
                                                      r".*use --replace to discard its 3 epochs"):
        executor.check_nothing_lost(TASKS[:2], tmp_path)
    executor.check_nothing_lost(TASKS[:2], tmp_path, replace=True)
    with executor.claimed(TASKS[:2], range(2), tmp_path, force=False, resume=True, log=lambda _: None) as claim:
        assert claim.todo == [1] and list(claim.finished) == [0]  # the one that matches is kept
