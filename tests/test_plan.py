"""`battleground plan`: done, partial and missing runs counted from real records, costs from a
timed epoch or a bench file, and the wall time of a schedule over slots; the executor flags'
errors."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from battleground.core import records
from battleground.train import plan
from battleground.train.cli import main, parser, selected_tasks

INVESTIGATION = "activation-functions"
SIMPLE = "SimpleNet2[activation=ReLU,depth=0]"


def test_makespan_schedules_longest_first_on_the_slot_that_frees_first():
    assert plan.makespan([4, 3, 3, 2], 2) == 6  # 4+2 and 3+3
    assert plan.makespan([5, 1, 1, 1], 2) == 5
    assert plan.makespan([1, 1, 1], 1) == 3
    assert plan.makespan([2, 2], 8) == 2


def test_a_budget_run_costs_its_budget_and_timing_epoch_a_fixed_one_its_epochs(data_dir):
    args = parser().parse_args(["plan", INVESTIGATION, "--variant", SIMPLE, "--seed", "1729", "--budget", "10s"])
    budget_task, = selected_tasks(args)
    cost = plan.Cost(train_s=3.0, val_s=0.5, source="given")
    assert plan.run_seconds(budget_task, cost, 0) == 3.0 + 3 * 3.5  # 3 epochs fit 10 s, plus the timed one
    fixed = budget_task.config.replace(epochs=7)
    assert plan.run_seconds(type(budget_task)(budget_task.investigation, budget_task.variant, 1729, fixed), cost, 2) \
        == 5 * 3.5  # two of seven already recorded


@pytest.mark.slow  # trains a smoke run, then times an epoch of every model left
def test_plan_counts_real_records_and_times_what_is_left(tmp_path, data_dir, capsys):
    runs = tmp_path / "runs"
    smoke = ["run", INVESTIGATION, "--smoke", "--epochs", "2", "--device", "cpu", "--data-dir", str(data_dir),
             "--runs-dir", str(runs)]
    assert main([*smoke, "--variant", SIMPLE]) == 0  # one run done
    path = records.record_path(runs, INVESTIGATION, SIMPLE, 1729)
    record = records.load_record(path)
    record.update(status="interrupted")  # as a killed run leaves it: a partial run
    records.write_record(path.with_name(path.name.replace("ReLU", "tanh")), {
        **record, "variant": "SimpleNet2[activation=tanh,depth=0]",
        "epochs": {name: column[:1] for name, column in record["epochs"].items()}})
    capsys.readouterr()
    argv = ["plan", INVESTIGATION, "--smoke", "--epochs", "2", "--device", "cpu", "--data-dir", str(data_dir),
            "--runs-dir", str(runs), "--jobs", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2 runs declared: 1 done, 0 short, 0 changed, 0 partial, 1 missing" in out  # the smoke's SimpleNet2 and LeNet5
    assert "LeNet5[activation=tanh]:" in out and "timed on 2,000 images" in out
    assert "wall time: about" in out and "local executor, --jobs 2" in out
    cpus = os.cpu_count()
    assert main([*argv[:-2], "--executor", "ray", "--cpus-per-task", "1"]) == 0  # nothing starts: counted here
    assert f"Ray local cluster: {cpus} CPUs, 0 GPUs; 1 CPU and 0 GPU a task: {cpus} at a time" in capsys.readouterr().out

    tasks = selected_tasks(parser().parse_args([
        "plan", INVESTIGATION, "--smoke", "--variant", SIMPLE, "--variant", "SimpleNet2[activation=tanh,depth=0]",
        "--seed", "1729", "--epochs", "2", "--runs-dir", str(runs)]))
    assert [plan.state_of(task, runs) for task in tasks] == [("done", 2), ("partial", 1)]
    real = [type(task)(task.investigation, task.variant, task.seed, task.config) for task in tasks]
    assert [plan.state_of(task, runs) for task in real] == [("missing", 0)] * 2  # smoke records are no real runs


@pytest.mark.slow  # trains 2 epochs on all 60,000 images
def test_a_complete_run_with_fewer_epochs_than_asked_is_short_and_costs_what_it_lacks(tmp_path, data_dir,
                                                                                      repo_root, capsys):
    runs = tmp_path / "runs"
    assert main(["run", INVESTIGATION, "--epochs", "2", "--seed", "1729", "--device", "cpu", "--data-dir",
                 str(data_dir), "--runs-dir", str(runs), "--variant", SIMPLE]) == 0
    bench = repo_root / "runs" / "benchmarks" / "amd-epyc-2-threads.json"
    argv = ["plan", INVESTIGATION, "--variant", SIMPLE, "--seed", "1729", "--device", "cpu", "--runs-dir", str(runs),
            "--bench", str(bench)]
    capsys.readouterr()
    assert main([*argv, "--epochs", "2"]) == 0  # as many as recorded: done, nothing to cost
    out = capsys.readouterr().out
    assert "1 runs declared: 1 done, 0 short" in out and "nothing left to train" in out

    assert main([*argv, "--epochs", "5"]) == 0
    out = capsys.readouterr().out
    assert "1 runs declared: 0 done, 1 short, 0 changed, 0 partial, 0 missing" in out
    assert "short: 1 complete runs have 2 epochs of the 5 asked" in out
    task, = selected_tasks(parser().parse_args([*argv, "--epochs", "5"]))
    cost = plan.bench_cost(task, json.loads(bench.read_text()), bench)
    lacking = 3 * (cost.train_s + cost.val_s)  # the continuation: epochs 3 to 5
    assert f"left: 1 runs, {lacking / 3600:.2f} slot-hours" in out
    assert f"training them again instead adds {2 * (cost.train_s + cost.val_s) / 3600:.2f} slot-hours" in out
    assert [plan.state_of(task, runs)] == [("short", 2)]


def test_a_bench_file_scales_the_benchmarked_epoch_by_step_flops(tmp_path, repo_root):
    bench = repo_root / "runs" / "benchmarks" / "amd-epyc-2-threads.json"
    found = json.loads(bench.read_text())
    args = parser().parse_args(["plan", INVESTIGATION, "--variant", "SimpleNet2[activation=ReLU,depth=0]",
                                "--variant", "LeNet5[activation=tanh]", "--seed", "1729", "--epochs", "10"])
    simple, lenet = selected_tasks(args)
    assert plan.bench_cost(simple, found, bench).train_s == pytest.approx(found["results"]["SimpleNet2"]["median_s"]["trainer"])
    assert plan.bench_cost(lenet, found, bench).train_s == pytest.approx(found["results"]["LeNet5"]["median_s"]["trainer"])
    wider = selected_tasks(parser().parse_args(["plan", "depth-of-architecture", "--seed", "1729", "--epochs", "1"]))
    deep = max(wider, key=plan.step_flops)
    assert plan.bench_cost(deep, found, bench).train_s > found["results"]["SimpleNet2"]["median_s"]["trainer"]
    assert plan.bench_cost(selected_tasks(parser().parse_args(
        ["plan", "network-zoo", "--variant", "Basic", "--seed", "1729"]))[0], found, bench) is None


def test_plan_on_cuda_from_a_bench_file_needs_no_gpu(tmp_path, repo_root, capsys):
    bench = repo_root / "runs" / "benchmarks" / "amd-epyc-2-threads.json"
    argv = ["plan", INVESTIGATION, "--device", "cuda", "--bench", str(bench), "--epochs", "3000",
            "--runs-dir", str(tmp_path), "--slots", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "48 runs declared: 0 done, 0 short, 0 changed, 0 partial, 48 missing" in out and "on 4 slots (--slots 4)" in out


DEPTHS = [f"SimpleNet2[activation=ReLU,depth={depth}]" for depth in (0, 1, 2, 3, 4)]  # FLOPs grow with depth


def _depth_plan(runs, variants: list[str]) -> list[str]:
    """``plan`` argv for ``variants`` of depth-of-architecture, one epoch on 256 images each: quick to time."""
    selection = [flag for name in variants for flag in ("--variant", name)]
    return ["plan", "depth-of-architecture", *selection, "--seed", "1729", "--epochs", "1", "--train-size", "256",
            "--device", "cpu", "--runs-dir", str(runs)]


def _count_timings(monkeypatch) -> list[str]:
    """The variants whose epoch ``plan.time_epoch`` times from now on, still timed for real."""
    timed, time_epoch = [], plan.time_epoch

    def counted(task, *args):
        timed.append(task.variant.name)
        return time_epoch(task, *args)

    monkeypatch.setattr(plan, "time_epoch", counted)
    return timed


@pytest.fixture
def sample_of_three(monkeypatch):
    """Sample a family of more than 3 shapes, 3 of them timed: the depths below make one."""
    monkeypatch.setattr(plan, "SAMPLED_ABOVE", 3)
    monkeypatch.setattr(plan, "TIMED_PER_FAMILY", 3)


def test_a_large_family_times_a_sample_and_scales_the_rest_by_flops(tmp_path, data_dir, monkeypatch, sample_of_three):
    tasks = selected_tasks(parser().parse_args(_depth_plan(tmp_path, DEPTHS)))
    timed = _count_timings(monkeypatch)
    lines = []
    planned = plan.plan(tasks, tmp_path, torch.device("cpu"), 1, "here", data_dir=data_dir, log=lines.append)
    assert timed == [DEPTHS[0], DEPTHS[2], DEPTHS[4]]  # the smallest, median and largest in step FLOPs
    assert "timed 3 shapes, scaled 2 more by their training FLOPs (--time-every-shape times each)" in lines
    assert not any(line.startswith(f"  {DEPTHS[1]}:") or line.startswith(f"  {DEPTHS[3]}:") for line in lines)
    flops = {task.variant.name: plan.step_flops(task) for task in tasks}
    seconds = {p.task.variant.name: p.seconds for p in planned}  # one epoch each: training and validation
    for name in (DEPTHS[1], DEPTHS[3]):
        nearest = min(timed, key=lambda near: abs(math.log(flops[name] / flops[near])))
        assert seconds[name] == pytest.approx(seconds[nearest] * flops[name] / flops[nearest])
    shapes = {plan.shape_key(task): task for task in tasks}
    references = plan.flops_references(shapes)
    assert sorted(shapes[key].variant.name for key in references) == [DEPTHS[1], DEPTHS[3]]
    reference, ratio = references[plan.shape_key(tasks[1])]
    assert plan.scaled_cost(plan.Cost(2.0, 1.0, "timed"), ratio, shapes[reference]) == \
        plan.Cost(2.0 * ratio, 1.0 * ratio, f"scaled by FLOPs from {shapes[reference].variant.name}")


def test_time_every_shape_times_each_one(tmp_path, data_dir, monkeypatch, capsys, sample_of_three):
    timed = _count_timings(monkeypatch)
    assert main([*_depth_plan(tmp_path, DEPTHS), "--data-dir", str(data_dir), "--time-every-shape"]) == 0
    out = capsys.readouterr().out
    assert timed == DEPTHS and "scaled" not in out
    assert all(f"  {name}: " in out for name in DEPTHS)


def test_the_help_gives_the_sampling_s_numbers(capsys):
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    helped = " ".join(capsys.readouterr().out.split())  # the parser cannot import plan (torch): numbers written out
    assert f"more than {plan.SAMPLED_ABOVE} shapes left only {plan.TIMED_PER_FAMILY}," in helped


def test_a_family_of_few_shapes_is_timed_shape_by_shape_as_before(tmp_path, data_dir, monkeypatch, capsys):
    timed = _count_timings(monkeypatch)
    assert len(DEPTHS) <= plan.SAMPLED_ABOVE
    assert main([*_depth_plan(tmp_path, DEPTHS), "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert timed == DEPTHS and "scaled" not in out
    assert all(f"  {name}: " in out for name in DEPTHS) and "validation (timed on 256 images)" in out
    assert "5 runs declared: 0 done, 0 short, 0 changed, 0 partial, 5 missing" in out and "wall time: about" in out


@pytest.mark.parametrize("argv, message", [
    (["--address", "10.0.0.1:6379"], "--address is for the Ray executor; add --executor ray"),
    (["--gpus-per-task", "1"], "--gpus-per-task is for the Ray executor"),
    (["--executor", "ray", "--jobs", "2"], "--jobs is the local executor's"),
    (["--executor", "ray", "--cpus-per-task", "0"], "expected CPUs > 0"),
    (["--executor", "ray", "--max-retries", "-1"], "--max-retries -1: expected a whole number >= 0"),
    (["--executor", "ray", "--device", "cuda"], "give each task a GPU share with --gpus-per-task"),
])
def test_executor_flags_that_do_not_fit_are_one_line_errors(argv, message, capsys):
    assert main(["run", INVESTIGATION, "--smoke", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_without_ray_the_executor_flag_says_how_to_install(repo_root):
    script = ("import sys; sys.modules['ray'] = None; from battleground.train.cli import main; "
              "sys.exit(main(['run', 'activation-functions', '--smoke', '--executor', 'ray']))")
    result = subprocess.run([sys.executable, "-c", script], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == 'battleground: error: the Ray executor needs Ray: pip install -e ".[ray]"'


@pytest.mark.slow  # trains a run on 2,000 images, then again on all 60,000
def test_a_run_trained_with_other_settings_is_changed_and_only_replace_trains_it_again(tmp_path, data_dir,
                                                                                      repo_root, capsys):
    runs = tmp_path / "runs"
    assert main(["run", INVESTIGATION, "--smoke", "--epochs", "1", "--device", "cpu", "--data-dir", str(data_dir),
                 "--runs-dir", str(runs), "--variant", SIMPLE]) == 0
    path = records.record_path(runs, INVESTIGATION, SIMPLE, 1729)  # the smoke run on 2,000 images, as a real run
    records.write_record(path, {key: value for key, value in records.load_record(path).items() if key != "smoke"})
    bench = repo_root / "runs" / "benchmarks" / "amd-epyc-2-threads.json"
    selection = [INVESTIGATION, "--variant", SIMPLE, "--seed", "1729", "--epochs", "1", "--device", "cpu",
                 "--data-dir", str(data_dir), "--runs-dir", str(runs)]
    capsys.readouterr()
    assert main(["plan", *selection, "--bench", str(bench)]) == 0
    out = capsys.readouterr().out
    assert "1 runs declared: 0 done, 0 short, 1 changed, 0 partial, 0 missing" in out
    assert "e.g. one trained with train_size 2,000 (asked: none (all)); --replace trains them again" in out

    assert main(["run", *selection]) == 1  # refused: it would discard the recorded run
    assert "trained with train_size 2,000 (asked: none (all))" in capsys.readouterr().err
    assert records.load_record(path)["data"]["train_images"] == 2_000

    assert main(["run", *selection, "--replace"]) == 0
    replaced = records.load_record(path)
    assert replaced["data"]["train_images"] == 60_000 and replaced["config"]["train_size"] is None
    assert main(["run", *selection, "--replace"]) == 0  # now it meets the sweep: kept
    assert "skipping" in capsys.readouterr().out and records.load_record(path)["started"] == replaced["started"]
