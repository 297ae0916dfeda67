"""Training for real on small MNIST subsets: determinism, the budget rule, divergence, records."""

from __future__ import annotations

import math
import re
import subprocess

import pytest
import torch

from battleground.train import data, provenance, loop
from battleground.core import records
from battleground.core.spec import Task, variant
from experiments import activation_functions

CPU = torch.device("cpu")
INVESTIGATION = activation_functions.INVESTIGATION
SMOKE_TASKS = INVESTIGATION.smoke_tasks()
TIMINGS = ("seconds",)  # the epoch column that legitimately differs between identical runs


@pytest.fixture(scope="module")
def mnist(data_dir) -> data.Arrays:
    return data.load_idx(data.idx_folder(data_dir, "mnist"))


@pytest.fixture(scope="module")
def smoke_splits(mnist) -> data.Splits:
    return data.make_splits(mnist, SMOKE_TASKS[0].config, CPU)


def _task(config_changes: dict, seed: int = 1729, **params) -> Task:
    params = params or {"depth": 0, "activation": "ReLU"}
    config = INVESTIGATION.config.replace(train_size=2_000, **config_changes)
    return Task("test", variant("SimpleNet2", **params), seed, config)


def _without_timings(record: dict) -> dict:
    stripped = {k: v for k, v in record.items() if k not in ("started", "finished", "timed_epoch_s")}
    stripped["epochs"] = {k: v for k, v in record["epochs"].items() if k not in TIMINGS}
    return stripped


@pytest.mark.slow  # trains every smoke variant twice
def test_the_same_seed_gives_identical_records_except_timings(smoke_splits, tmp_path):
    first = [loop.train(task, smoke_splits, CPU, tmp_path / "a", progress=False) for task in SMOKE_TASKS]
    second = [loop.train(task, smoke_splits, CPU, tmp_path / "b", progress=False) for task in SMOKE_TASKS]
    assert [r["variant"] for r in first] == ["SimpleNet2[activation=ReLU,depth=0]", "LeNet5[activation=tanh]"]
    for a, b in zip(first, second):
        assert a["status"] == "complete" and len(a["epochs"]["epoch"]) == 2
        assert _without_timings(a) == _without_timings(b)
    other_seed = Task(SMOKE_TASKS[0].investigation, SMOKE_TASKS[0].variant, 42, SMOKE_TASKS[0].config)
    different = loop.train(other_seed, smoke_splits, CPU, tmp_path / "c", progress=False)
    assert different["epochs"]["train_loss"] != first[0]["epochs"]["train_loss"]


def test_the_record_on_disk_is_the_returned_record(smoke_splits, tmp_path):
    task = SMOKE_TASKS[0]
    record = loop.train(task, smoke_splits, CPU, tmp_path, progress=False)
    path = records.record_path(tmp_path, task.investigation, task.variant.name, task.seed)
    loaded = records.load_record(path)
    assert loaded["status"] == "complete" and loaded["variant"] == record["variant"]
    for name in records.EPOCH_COLUMNS:  # six significant digits on disk
        assert loaded["epochs"][name] == pytest.approx(record["epochs"][name], rel=1e-5)
    assert loaded["test_accuracy"] == record["test_accuracy"]
    assert loaded["config"] == task.config.as_dict()


def test_a_record_carries_flops_predictions_and_provenance(smoke_splits, tmp_path):
    record = loop.train(SMOKE_TASKS[0], smoke_splits, CPU, tmp_path, progress=False)
    flops = record["flops"]
    assert flops == {"per_step_profiler": 31_960_000, "per_step_complete": 31_960_000, "steps_per_epoch": 20,
                     "profiler_complete": True}
    assert record["epochs"]["cumulative_flops"] == [20 * 31_960_000, 2 * 20 * 31_960_000]
    counts = record["val_prediction_counts"]
    assert len(counts) == 10 and sum(counts) == 8_000
    assert record["model"] == {
        "family": "SimpleNet2", "params": {"activation": "ReLU", "depth": 0, "width": 100}, "parameters": 79_510,
        # one input's tensors: the 784 pixels, then linear 100, ReLU 100, linear 10; three layers run
        "memory": 784 + 100 + 100 + 10, "operations": 3,
    }
    assert record["data"] == {"source": "idx files", "train_images": 2_000, "val_images": 8_000, "test_images": 2_000}
    environment = record["environment"]
    assert environment["torch"] == torch.__version__
    assert environment["device"].endswith(f"({torch.get_num_threads()} threads)")
    assert record["started"] <= record["finished"]


@pytest.mark.slow  # trains two epochs of 10,000 images
def test_training_with_a_useful_learning_rate_learns(mnist, tmp_path):
    config = INVESTIGATION.config.replace(train_size=10_000, epochs=2, lr=0.1)
    splits = data.make_splits(mnist, config, CPU)
    task = Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), 1729, config)
    record = loop.train(task, splits, CPU, tmp_path, progress=False)
    losses = record["epochs"]["train_loss"]
    assert losses[1] < losses[0]
    assert record["epochs"]["val_accuracy"][-1] > 0.88
    assert record["test_accuracy"] > 0.88
    assert max(record["val_prediction_counts"]) < 1_500  # no class dominates


def test_the_budget_sets_the_epoch_count_from_one_timed_epoch(smoke_splits, tmp_path):
    budget = 0.15
    by_budget = loop.train(_task({"budget_s": budget}), smoke_splits, CPU, tmp_path / "budget", progress=False)
    timed = by_budget["timed_epoch_s"]
    epochs = len(by_budget["epochs"]["epoch"])
    assert timed > 0 and epochs == max(1, math.floor(budget / timed)) == by_budget["epochs_planned"]
    # Re-initialised with the same seed after timing: the same run as one with fixed epochs.
    fixed = loop.train(_task({"epochs": epochs}), smoke_splits, CPU, tmp_path / "fixed", progress=False)
    assert fixed["timed_epoch_s"] is None
    assert fixed["epochs"]["train_loss"] == by_budget["epochs"]["train_loss"]


def test_a_budget_shorter_than_an_epoch_still_trains_one(smoke_splits, tmp_path):
    record = loop.train(_task({"budget_s": 1e-6}), smoke_splits, CPU, tmp_path, progress=False)
    assert record["status"] == "complete" and record["epochs"]["epoch"] == [1]
    assert loop.epochs_in_budget(14_400, 7.0) == 2_057


def test_a_non_finite_loss_ends_the_run_as_diverged(smoke_splits, tmp_path):
    task = _task({"epochs": 5, "lr": 1.0}, depth=3, activation="none")  # a deep linear net explodes
    record = loop.train(task, smoke_splits, CPU, tmp_path, progress=False)
    assert record["status"] == "diverged" and record["test_accuracy"] is None
    assert len(record["epochs"]["epoch"]) < 5
    loaded = records.load_record(records.record_path(tmp_path, "test", task.variant.name, task.seed))
    assert loaded["status"] == "diverged" and loaded["epochs"]["train_loss"][-1] is None


def test_code_version_is_the_git_commit_or_a_source_hash(repo_root):
    version = provenance.code_version()
    try:
        head = subprocess.run(["git", "-C", str(repo_root), "rev-parse", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        assert re.fullmatch(r"sha256:[0-9a-f]{16}", version)
    else:
        assert re.fullmatch(re.escape(head) + r"(-dirty)?", version)
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", provenance.source_hash())


def test_a_cuda_run_records_whether_tf32_may_round_its_float32_arithmetic():
    assert "tf32" not in provenance.environment(CPU)  # a CPU computes in float32 regardless
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:  # the flags are settable without a GPU; the record must follow them
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = True, False
        assert provenance.tf32() == {"matmul": True, "convolution": False}
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = False, True
        assert provenance.tf32() == {"matmul": False, "convolution": True}
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
