"""Checkpoints and resume: a run stopped at any write and resumed ends with the uninterrupted
run's record; damaged checkpoints and records are refused with one clear line."""

from __future__ import annotations

import pytest
import torch

from battleground.train import checkpoint, data, local, loop
from battleground.core import records
from battleground.train.cli import main
from battleground.core.spec import Task, variant
from experiments import activation_functions

CPU = torch.device("cpu")
INVESTIGATION = activation_functions.INVESTIGATION
SIMPLE = "SimpleNet2[activation=ReLU,depth=0]"
# Small: the resume test trains this run eight times over.
CONFIG = INVESTIGATION.config.replace(train_size=1_000, val_size=1_000, test_size=1_000, epochs=2)
TASK = Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), 1729, CONFIG)
# An uninterrupted 2-epoch run makes 7 writes: checkpoint and record at the start, both after
# each epoch, and the complete record. Stopping before write 2 leaves a checkpoint and no
# record; before 4, a checkpoint one epoch ahead of the record; before 7, every epoch trained
# but no complete record. (The stress script kills real processes at random moments.)
KILL_POINTS = (2, 4, 7)


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the trainer handles it."""


@pytest.fixture(scope="module")
def splits(data_dir) -> data.Splits:
    return data.make_splits(data.load_idx(data.idx_folder(data_dir, "mnist")), CONFIG, CPU)


def _without_timings(record: dict) -> dict:
    # "resumed" is the run's history (when it resumed), not a result: an uninterrupted run has none
    stripped = {k: v for k, v in record.items() if k not in ("started", "finished", "timed_epoch_s", "resumed")}
    stripped["epochs"] = {k: v for k, v in record["epochs"].items() if k != "seconds"}
    return stripped


def _kill_at_write(monkeypatch, n: int) -> None:
    """Make the ``n``-th atomic write (record or checkpoint) die before it happens."""
    calls = {"count": 0}
    real = records.atomic_write_bytes

    def write(path, payload):
        calls["count"] += 1
        if calls["count"] == n:
            raise Killed
        real(path, payload)

    monkeypatch.setattr(records, "atomic_write_bytes", write)


def _paths(runs, task=TASK):
    path = records.record_path(runs, task.investigation, task.variant.name, task.seed)
    return path, checkpoint.checkpoint_path(path)


def test_a_run_stopped_between_writes_resumes_to_the_uninterrupted_record(splits, tmp_path, monkeypatch):
    reference = loop.train(TASK, splits, CPU, tmp_path / "reference", progress=False)
    assert not _paths(tmp_path / "reference")[1].exists()  # a complete run keeps no checkpoint
    reference_on_disk = records.load_record(_paths(tmp_path / "reference")[0])
    for n in KILL_POINTS:
        runs = tmp_path / f"killed-at-{n}"
        with monkeypatch.context() as patch:
            _kill_at_write(patch, n)
            with pytest.raises(Killed):
                loop.train(TASK, splits, CPU, runs, progress=False)
        resumed = loop.train(TASK, splits, CPU, runs, progress=False)
        assert _without_timings(resumed) == _without_timings(reference), f"killed at write {n}"
        record_path, checkpoint_file = _paths(runs)
        assert _without_timings(records.load_record(record_path)) == _without_timings(reference_on_disk)
        assert not checkpoint_file.exists()


def test_the_checkpoint_holds_the_state_and_loads_with_weights_only(splits, tmp_path, monkeypatch):
    _kill_at_write(monkeypatch, 5)  # after epoch 1's checkpoint and record
    with pytest.raises(Killed):
        loop.train(TASK, splits, CPU, tmp_path, progress=False)
    saved = torch.load(_paths(tmp_path)[1], weights_only=True)
    assert saved["epoch"] == 1 and saved["epochs_planned"] == 2
    assert saved["record"]["epochs"]["epoch"] == [1] and saved["record"]["status"] == "running"
    assert set(saved["rng"]) == {"torch", "cuda", "numpy", "python"}
    assert isinstance(saved["order"], torch.Tensor) and "layers.1.weight" in saved["model"]


def test_a_resumed_budget_run_keeps_its_timed_epoch_and_epoch_count(splits, tmp_path, monkeypatch):
    task = Task("test", TASK.variant, 1729, CONFIG.replace(epochs=None, budget_s=0.5))
    with monkeypatch.context() as patch:
        _kill_at_write(patch, 4)  # the timing epoch and epoch 1 done, killed before epoch 1's record
        with pytest.raises(Killed):
            loop.train(task, splits, CPU, tmp_path, progress=False)
    planned = torch.load(_paths(tmp_path, task)[1], weights_only=True)["record"]
    resumed = loop.train(task, splits, CPU, tmp_path, progress=False)
    assert resumed["timed_epoch_s"] == planned["timed_epoch_s"]
    assert len(resumed["epochs"]["epoch"]) == resumed["epochs_planned"] == planned["epochs_planned"]


def test_restart_ignores_the_checkpoint(splits, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        _kill_at_write(patch, 7)
        with pytest.raises(Killed):
            loop.train(TASK, splits, CPU, tmp_path, progress=False)
    record_path, checkpoint_file = _paths(tmp_path)
    checkpoint_file.write_bytes(b"not a checkpoint")  # would fail if it were read
    record = loop.train(TASK, splits, CPU, tmp_path, progress=False, resume=False)
    assert record["status"] == "complete" and not checkpoint_file.exists()


def test_a_checkpoint_of_another_configuration_is_refused(splits, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        _kill_at_write(patch, 5)
        with pytest.raises(Killed):
            loop.train(TASK, splits, CPU, tmp_path, progress=False)
    other = Task("test", TASK.variant, 1729, CONFIG.replace(epochs=3))
    with pytest.raises(checkpoint.CheckpointError, match="another run or configuration.*--restart"):
        loop.train(other, splits, CPU, tmp_path, progress=False)


def test_a_diverged_run_is_final(data_dir, tmp_path):
    config = CONFIG.replace(train_size=500, lr=1e6, epochs=3)
    task = Task("test", variant("SimpleNet2", depth=3, activation="none"), 1729, config)  # a deep linear net explodes
    logged = []
    (first,) = local.run_local([task], CPU, tmp_path, data_dir=data_dir, progress=False, log=logged.append)
    record_path, checkpoint_file = _paths(tmp_path, task)
    loaded = records.load_record(record_path)
    assert first["status"] == loaded["status"] == "diverged" and loaded["epochs"]["train_loss"][-1] is None
    assert not checkpoint_file.exists()
    mtime = record_path.stat().st_mtime_ns
    local.run_local([task], CPU, tmp_path, data_dir=data_dir, progress=False, log=logged.append)
    assert logged == [f"skipping {task.variant.name} seed 1729: diverged record exists (--force retrains)"]
    assert record_path.stat().st_mtime_ns == mtime  # not retrained (--force would, as for complete runs)


# --- the command line ---------------------------------------------------------------------------


def _cli(data_dir, runs, *extra) -> list[str]:
    return ["run", INVESTIGATION.name, "--smoke", "--variant", SIMPLE, "--epochs", "2", "--device", "cpu",
            "--data-dir", str(data_dir), "--runs-dir", str(runs), *extra]


def _interrupted_cli_run(data_dir, runs, monkeypatch):
    with monkeypatch.context() as patch:
        _kill_at_write(patch, 5)
        with pytest.raises(Killed):
            main(_cli(data_dir, runs))
    return _paths(runs, INVESTIGATION.smoke_tasks()[0])


def test_a_damaged_checkpoint_is_one_line_that_says_restart(data_dir, tmp_path, monkeypatch, capsys):
    record_path, checkpoint_file = _interrupted_cli_run(data_dir, tmp_path, monkeypatch)
    whole = checkpoint_file.read_bytes()
    for damaged in (whole[: len(whole) // 2], b"\0" * len(whole)):  # truncated, overwritten
        checkpoint_file.write_bytes(damaged)
        capsys.readouterr()
        assert main(_cli(data_dir, tmp_path)) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"battleground: error: {checkpoint_file}: cannot resume from this checkpoint")
        assert "use --restart" in err and err.count("\n") == 1 and "Traceback" not in err
    assert main(_cli(data_dir, tmp_path, "--restart")) == 0
    assert records.load_record(record_path)["status"] == "complete" and not checkpoint_file.exists()


def test_a_truncated_record_beside_a_valid_checkpoint_resumes_from_the_checkpoint(data_dir, tmp_path, monkeypatch,
                                                                                 capsys):
    reference = main(_cli(data_dir, tmp_path / "reference"))
    assert reference == 0
    expected = records.load_record(_paths(tmp_path / "reference", INVESTIGATION.smoke_tasks()[0])[0])
    record_path, checkpoint_file = _interrupted_cli_run(data_dir, tmp_path, monkeypatch)
    record_path.write_text(record_path.read_text()[:200])
    capsys.readouterr()
    assert main(_cli(data_dir, tmp_path)) == 0  # the checkpoint is the truth: no --force, nothing thrown away
    out = capsys.readouterr().out
    assert f"note: {record_path}: field '(file)'" in out and "resuming from the checkpoint" in out
    resumed = records.load_record(record_path)
    assert _without_timings(resumed) == _without_timings(expected) and not checkpoint_file.exists()


def test_a_corrupt_record_without_a_checkpoint_is_one_line_that_says_force(data_dir, tmp_path, monkeypatch, capsys):
    record_path, checkpoint_file = _interrupted_cli_run(data_dir, tmp_path, monkeypatch)
    record_path.write_text(record_path.read_text()[:200])
    checkpoint_file.unlink()
    capsys.readouterr()
    assert main(_cli(data_dir, tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"battleground: error: {record_path}: field '(file)'") and "perhaps truncated" in err
    assert "use --force" in err and err.count("\n") == 1
    assert main(_cli(data_dir, tmp_path, "--force")) == 0
    assert records.load_record(record_path)["status"] == "complete"


def test_a_batched_group_stopped_mid_epoch_resumes_each_model_from_its_own_checkpoint(data_dir, tmp_path, monkeypatch):
    tasks = [Task("test", TASK.variant, seed, CONFIG) for seed in (1729, 271828)]
    reference = local.run_local(tasks, CPU, tmp_path / "reference", data_dir=data_dir, progress=False, batch=True)
    runs = tmp_path / "killed"
    with monkeypatch.context() as patch:
        # 4 writes start the group (a checkpoint and a record per model), 4 more end epoch 1:
        # the 9th is the first model's checkpoint after epoch 2.
        _kill_at_write(patch, 9)
        with pytest.raises(Killed):
            local.run_local(tasks, CPU, runs, data_dir=data_dir, progress=False, batch=True)
    for task in tasks:
        saved = torch.load(_paths(runs, task)[1], weights_only=True)
        assert saved["epoch"] == 1 and saved["record"]["batched_models"] == 2
    resumed = local.run_local(tasks, CPU, runs, data_dir=data_dir, progress=False, batch=True)
    for task, record, whole in zip(tasks, resumed, reference):
        assert record["status"] == "complete" and record["epochs"]["epoch"] == [1, 2]
        assert record["batched_models"] == 2 and not _paths(runs, task)[1].exists()
        # Epoch 1 trained in the batch, as the reference did; epoch 2 alone, to float rounding of it.
        assert record["epochs"]["val_loss"][0] == whole["epochs"]["val_loss"][0]
        assert record["epochs"]["val_loss"][1] == pytest.approx(whole["epochs"]["val_loss"][1], rel=1e-4)
    assert not _paths(tmp_path / "reference", tasks[0])[1].exists()  # a complete group keeps none
