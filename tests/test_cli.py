"""The command line, end to end: the activation-functions smoke configuration trains for real."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from battleground.core import records
from battleground.train.cli import main
from tests.conftest import ROOT

INVESTIGATION = "activation-functions"
SIMPLE = "SimpleNet2[activation=ReLU,depth=0]"


@pytest.mark.slow  # trains every variant of the smoke configuration
def test_smoke_run_writes_complete_records_lists_them_and_skips_them_next_time(data_dir, tmp_path, capsys):
    runs = tmp_path / "runs"
    smoke = ["run", INVESTIGATION, "--smoke", "--device", "cpu", "--data-dir", str(data_dir), "--runs-dir", str(runs)]
    assert main(smoke) == 0
    loaded = records.load_runs(runs, INVESTIGATION)
    assert sorted(r["variant"] for r in loaded) == ["LeNet5[activation=tanh]", SIMPLE]
    for record in loaded:
        assert record["status"] == "complete" and record["seed"] == 1729
        assert record["epochs"]["epoch"] == [1, 2] and record["config"]["train_size"] == 2_000
        assert record["data"]["train_images"] == 2_000
    assert f"{SIMPLE} seed 1729" in capsys.readouterr().err  # the progress bar

    assert main(["list", INVESTIGATION, "--runs-dir", str(runs)]) == 0
    listing = capsys.readouterr().out
    assert f"{SIMPLE}: 1729 smoke run, complete (2 epochs, val " in listing  # never one of the investigation's runs
    assert "SimpleNet2[activation=none,depth=0]: 1729 not run; 271828 not run; 314159 not run" in listing

    paths = {r["variant"]: records.record_path(runs, INVESTIGATION, r["variant"], 1729) for r in loaded}
    mtimes = {name: path.stat().st_mtime_ns for name, path in paths.items()}
    assert main(smoke) == 0
    assert capsys.readouterr().out.count("complete record exists (--force retrains)") == 2
    assert {name: path.stat().st_mtime_ns for name, path in paths.items()} == mtimes  # not rewritten

    assert main([*smoke, "--variant", SIMPLE, "--force"]) == 0
    assert paths[SIMPLE].stat().st_mtime_ns != mtimes[SIMPLE]
    assert paths["LeNet5[activation=tanh]"].stat().st_mtime_ns == mtimes["LeNet5[activation=tanh]"]


def test_variant_seed_and_epochs_select_one_run(data_dir, tmp_path):
    runs = tmp_path / "runs"
    argv = ["run", INVESTIGATION, "--smoke", "--variant", SIMPLE, "--seed", "42", "--epochs", "1",
            "--data-dir", str(data_dir), "--runs-dir", str(runs), "--force"]  # 42 is not declared
    assert main(argv) == 0
    (record,) = records.load_runs(runs)
    assert (record["variant"], record["seed"], record["epochs"]["epoch"]) == (SIMPLE, 42, [1])
    assert record["config"]["epochs"] == 1 and record["timed_epoch_s"] is None


@pytest.mark.slow  # times an epoch, then trains the epochs the budget buys
def test_a_budget_replaces_fixed_epochs_and_is_recorded(data_dir, tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["run", INVESTIGATION, "--smoke", "--variant", SIMPLE, "--budget", "0.05s",
            "--data-dir", str(data_dir), "--runs-dir", str(runs)]
    assert main(argv) == 0
    (record,) = records.load_runs(runs)
    assert record["config"]["budget_s"] == 0.05 and record["config"]["epochs"] is None
    assert record["timed_epoch_s"] > 0 and record["status"] == "complete"
    # the plan says that the budget covers the training epochs only, and what comes on top
    planned = len(record["epochs"]["epoch"])
    assert (f"so {planned} epoch{'s' if planned != 1 else ''} fit the 0.05s budget; the timing epoch, each "
            "epoch's validation and the FLOP count take time on top of it") in capsys.readouterr().out


CUDA_MISSING = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")


@pytest.mark.parametrize(
    "argv, status, message",
    [
        (["run", "no-such-thing"], 2, "unknown investigation 'no-such-thing'; known: activation-functions"),
        (["run", INVESTIGATION, "--variant", "MLP"], 2,
         f"has no variant 'MLP'; its variants: SimpleNet2[activation=none,depth=0], {SIMPLE}, "),
        (["run", INVESTIGATION, "--device", "tpu"], 2, "unknown device 'tpu'; known: auto, cpu, cuda"),
        pytest.param(["run", INVESTIGATION, "--device", "cuda"], 2, "--device cuda: CUDA is not available",
                     marks=CUDA_MISSING),
        (["run", INVESTIGATION, "--budget", "4 hours"], 2, "budget '4 hours' is not a positive number"),
        (["run", INVESTIGATION, "--epochs", "0"], 2, "--epochs 0: expected a whole number from 1 to 1,000,000"),
        # torch wraps a negative seed to seed + 2**64: -1 would train 18446744073709551615's run
        (["run", INVESTIGATION, "--seed", "-1"], 2, "--seed -1: expected a whole number from 0 to 18446744073709551615"),
        (["run", INVESTIGATION, "--seed", str(2**64)], 2, f"--seed {2**64}: expected a whole number from 0 to "),
    ],
)
def test_mistakes_end_with_one_clear_line(argv, status, message, capsys):
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith("battleground: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_folder_without_data_is_one_clear_line(tmp_path, capsys):
    argv = ["run", INVESTIGATION, "--smoke", "--data-dir", str(tmp_path), "--runs-dir", str(tmp_path / "runs")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == (f"battleground: error: {tmp_path}: expected the IDX files train-images-idx3-ubyte[.gz], "
                   "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] "
                   "in this folder or in its subfolder mnist/\n")


def test_a_broken_record_is_one_clear_line(tmp_path, capsys):
    broken = records.record_path(tmp_path, INVESTIGATION, SIMPLE, 1729)
    broken.parent.mkdir(parents=True)
    broken.write_text('{"schema": 1, "investigation"')
    assert main(["list", "--runs-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert str(broken) in err and "perhaps truncated" in err and err.count("\n") == 1


@pytest.mark.parametrize("header, wanted", [
    ((2051, 60_000), "expected IDX magic number 2049 (labels), found 2051"),  # an images file in its place
    ((2049, 59_999), "expected 60007 bytes for 59999 values, found 60008 bytes"),  # one label too few declared
])
def test_a_broken_data_file_is_one_clear_line_naming_it(data_dir, tmp_path, header, wanted, capsys):
    import shutil

    import numpy as np

    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        shutil.copy(data_dir / "mnist" / f"{name}.gz", tmp_path)
    broken = tmp_path / "train-labels-idx1-ubyte"
    broken.write_bytes(np.array(header, dtype=">i4").tobytes() + bytes(60_000))
    argv = ["run", INVESTIGATION, "--smoke", "--data-dir", str(tmp_path), "--runs-dir", str(tmp_path / "runs")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"battleground: error: {broken}: {wanted}") and err.count("\n") == 1


def test_list_into_a_pipe_that_closes_early_ends_quietly():
    result = subprocess.run(f"{sys.executable} -m battleground list | head -1", shell=True,
                            capture_output=True, text=True, check=True)
    assert result.stdout.count("\n") == 1 and "Traceback" not in result.stderr and "Error" not in result.stderr


def test_a_parameter_the_model_lacks_is_one_clear_line_naming_the_experiment(tmp_path, capsys, monkeypatch):
    import experiments
    from battleground.core.spec import Investigation, Variant

    # variant() refuses the typo where it is written (tests/test_recipes.py); a Variant made
    # directly is still checked before anything trains.
    typo = Investigation(INVESTIGATION, "?", variants=(Variant("SimpleNet2", (("activation", "ReLU"), ("depht", 3))),))
    monkeypatch.setattr(experiments, "get", lambda name: typo)
    assert main(["run", INVESTIGATION, "--device", "cpu", "--runs-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("battleground: error: experiments/activation_functions.py: variant "
                          "SimpleNet2[activation=ReLU,depht=3]: ") and "SimpleNet2 takes depth" in err
    assert err.count("\n") == 1 and not any(tmp_path.iterdir())  # nothing trained, nothing written


def test_a_typo_in_an_experiment_module_is_one_line_naming_the_module(tmp_path, capsys, monkeypatch):
    import experiments

    (tmp_path / "typo_check.py").write_text(
        "from battleground.core.spec import Investigation, variant\n"
        "INVESTIGATION = Investigation('typo-check', '?', variants=(variant('SimpleNet2', depht=3),))\n")
    monkeypatch.setenv(experiments.EXTRA_ENV, str(tmp_path))
    for argv in (["list"], ["run", "typo-check", "--device", "cpu"]):
        assert main([*argv, "--runs-dir", str(tmp_path / "runs")]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"battleground: error: {tmp_path / 'typo_check.py'}: variant SimpleNet2[depht=3]: ")
        assert "SimpleNet2 takes depth, width, activation" in err and err.count("\n") == 1


def test_seeds_may_be_given_several_times_and_an_undeclared_one_needs_force(data_dir, tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["run", INVESTIGATION, "--smoke", "--variant", SIMPLE, "--epochs", "1", "--data-dir", str(data_dir),
            "--runs-dir", str(runs), "--device", "cpu"]
    assert main([*argv, "--seed", "7"]) == 2
    error = capsys.readouterr().err
    assert "--seed 7:" in error and "1729" in error and "--force" in error and not any(runs.rglob("*.json"))
    assert main([*argv, "--seed", "1729", "--seed", "271828", "--force"]) == 0
    out = capsys.readouterr().out
    assert sorted(r["seed"] for r in records.load_runs(runs)) == [1729, 271828]
    path = records.record_path(runs, INVESTIGATION, SIMPLE, 271828)
    assert f"{SIMPLE} seed 271828: smoke run, complete (1 epoch, val " in out and f"record in {path}" in out


def test_list_is_one_line_per_investigation_unless_asked_for_every_variant(capsys, tmp_path):
    import experiments

    investigations = experiments.discover()
    assert main(["list", "--runs-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(investigations) + 1 and "battleground list INVESTIGATION" in lines[-1]
    zoo = investigations["network-zoo"]
    assert f"network-zoo: {len(zoo.variants)} variants, {zoo.run_count} runs: {zoo.run_count} not run" in lines
    assert main(["list", "--all", "--runs-dir", str(tmp_path)]) == 0
    every = capsys.readouterr().out.splitlines()
    assert len(every) == sum(len(i.variants) + 1 for i in investigations.values())


def test_list_shows_one_investigation_when_named(capsys, tmp_path):
    assert main(["list", INVESTIGATION, "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{INVESTIGATION}:") and "depth-of-architecture:" not in out
    assert main(["list", "no-such-thing"]) == 2
    assert "unknown investigation 'no-such-thing'" in capsys.readouterr().err


@pytest.mark.slow  # trains smoke runs and a real run
def test_a_smoke_run_stays_out_of_runs_and_never_counts_as_a_real_run(data_dir, tmp_path, capsys, monkeypatch):
    import experiments
    from battleground.core.config import TrainConfig
    from battleground.core.spec import Task
    from battleground.train import executor, plan

    monkeypatch.chdir(tmp_path)  # where a user's checkout would be: runs/ and runs-smoke/ relative to it
    argv = ["run", INVESTIGATION, "--smoke", "--variant", SIMPLE, "--epochs", "1", "--device", "cpu",
            "--data-dir", str(data_dir)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    scratch = tmp_path / records.SMOKE_RUNS_DIR
    assert f"smoke run: records go to {records.SMOKE_RUNS_DIR}/" in out and not (tmp_path / "runs").exists()
    (record,) = records.load_runs(scratch, INVESTIGATION)
    assert records.is_smoke(record) and record["status"] == "complete"

    # list, plan and a full run each see no run of the investigation in it
    assert main(["list", "--runs-dir", str(scratch)]) == 0
    assert f"{INVESTIGATION}: 16 variants, 48 runs: 48 not run; 1 smoke run" in capsys.readouterr().out
    declared, config = experiments.get(INVESTIGATION).variant_named(SIMPLE), TrainConfig(**record["config"])
    smoke_task = Task(INVESTIGATION, declared, 1729, config, smoke=True)
    real_task = Task(INVESTIGATION, declared, 1729, config)
    assert plan.state_of(smoke_task, scratch) == ("done", 1) and plan.state_of(real_task, scratch) == ("missing", 0)
    assert executor.existing_finished(smoke_task, scratch) is not None
    assert executor.existing_finished(real_task, scratch) is None  # a full run trains it, replacing the smoke record

    # the site refuses it, --strict or not, with the build's error line naming the file and the field
    path = records.record_path(scratch, INVESTIGATION, SIMPLE, 1729)
    for strict in ([], ["--strict"]):
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--runs", str(scratch), "--out",
                               str(tmp_path / "site"), *strict], cwd=ROOT, capture_output=True, text=True)
        first = done.stderr.splitlines()[0]
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert first.startswith(f"error: {path}: field 'smoke': expected a run of the investigation"), first
    assert not (tmp_path / "site").exists()

    # and a smoke run never replaces a real run's record, --force or not
    real = {key: value for key, value in record.items() if key != "smoke"}
    records.write_record(path, real)
    for force in ([], ["--force"]):
        assert main([*argv, "--runs-dir", str(scratch), *force]) == 1
        err = capsys.readouterr().err
        assert f"{path}: a real run's record, which a smoke run never replaces" in err and err.count("\n") == 1
    assert records.load_record(path) == real
