"""The site's reproduce commands, run through the real command line's parser, select exactly the
run they were built from: its variant, its seed, every training setting, and its device."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from battleground.core import records
from battleground.core.config import DEFAULTS
from battleground.site import reproduce
from battleground.train import cli
from experiments import discover
from tests.site_fixtures import make_record

ROOT = Path(__file__).resolve().parent.parent
INVESTIGATIONS = discover()


def selected(command: str):
    """What ``battleground run`` would train for ``command``: its tasks and its --device."""
    argv = shlex.split(command, comments=True)
    assert argv[0] == "battleground"
    args = cli.parser().parse_args(argv[1:])
    return cli.selected_tasks(args), args.device


def recorded_config(record: dict) -> dict:
    return {**DEFAULTS.as_dict(), **record["config"]}


def assert_selects(command: str, runs: list[dict]) -> None:
    tasks, device = selected(command)
    assert [(t.variant.name, t.seed) for t in tasks] == [(r["variant"], r["seed"]) for r in runs]
    for task, record in zip(tasks, runs):
        assert task.investigation == record["investigation"]
        assert task.config.as_dict() == recorded_config(record)
        assert device == reproduce.device_flag(record)


def committed_runs() -> list[dict]:
    return [r for name in INVESTIGATIONS for r in records.load_runs(ROOT / "runs", name)]


def test_every_committed_run_has_a_command_that_selects_exactly_it():
    runs = committed_runs()
    assert len(runs) > 400
    for record in runs:
        command = reproduce.command(INVESTIGATIONS[record["investigation"]], [record])
        assert "#" not in command, command  # nothing the command cannot match
        assert_selects(command, [record])


def test_the_seeds_of_a_variant_share_one_command_that_selects_them_all():
    by_variant: dict[str, list[dict]] = {}
    for record in records.load_runs(ROOT / "runs", "depth-of-architecture"):
        by_variant.setdefault(record["variant"], []).append(record)
    for runs in list(by_variant.values())[:5]:
        runs.sort(key=lambda r: r["seed"])
        command = reproduce.command(INVESTIGATIONS["depth-of-architecture"], runs)
        assert command.count("--seed ") == len(runs) == 3
        assert_selects(command, runs)


def fixture_run(name: str, variant_name: str, seed: int = 1729, **changes) -> dict:
    inv = INVESTIGATIONS[name]
    variant = inv.variant_named(variant_name)
    record = make_record(name, variant, seed, epochs=3, device="AMD EPYC (2 threads)")
    record["config"] = inv.config.replace(**variant.training, **changes).as_dict()
    return record


def test_a_budget_run_a_gpu_run_and_an_undeclared_seed_reproduce_with_their_flags():
    inv = INVESTIGATIONS["activation-functions"]
    budget = fixture_run("activation-functions", "SimpleNet2[activation=ReLU,depth=0]", budget_s=1800)
    command = reproduce.command(inv, [budget])
    assert "--budget 30m" in command and "--epochs" not in command and "--device cpu" in command
    assert_selects(command, [budget])

    gpu = fixture_run("activation-functions", "LeNet5[activation=tanh]", epochs=7)
    gpu["environment"]["device"] = "NVIDIA H200"
    gpu["engine"] = "cuda-graphs"
    command = reproduce.command(inv, [gpu])
    assert command.endswith("--epochs 7 --device cuda --cuda-graphs")
    assert_selects(command, [gpu])

    odd_seed = fixture_run("activation-functions", "LeNet5[activation=tanh]", seed=42, epochs=2)
    command = reproduce.command(inv, [odd_seed])
    assert "--seed 42 --force" in command
    assert_selects(command, [odd_seed])


def test_a_run_of_the_smoke_configuration_reproduces_with_smoke():
    inv = INVESTIGATIONS["node-budget"]
    name = inv.smoke.variants[0].name
    record = fixture_run("node-budget", name, **inv.smoke.config_changes)
    command = reproduce.command(inv, [record])
    assert "--smoke" in command and "#" not in command
    assert_selects(command, [record])


def test_a_command_that_cannot_select_the_run_says_why_in_a_comment():
    inv = INVESTIGATIONS["node-budget"]
    name = inv.variants[0].name
    changed = fixture_run("node-budget", name, train_size=30_000)
    command = reproduce.command(inv, [changed])
    assert command.endswith("# this run trained with train_size=30000, which node-budget no longer sets")
    gone = dict(changed, variant="MLP[widths=7]")
    assert "# variant MLP[widths=7] is no longer declared by node-budget" in reproduce.command(inv, [gone])


def test_seeds_trained_differently_have_no_shared_command():
    inv = INVESTIGATIONS["activation-functions"]
    name = "LeNet5[activation=tanh]"
    runs = [fixture_run("activation-functions", name, seed=1729, epochs=3),
            fixture_run("activation-functions", name, seed=271828, epochs=5)]
    assert reproduce.command(inv, runs) is None
    assert reproduce.command(inv, runs[:1]) is not None


@pytest.mark.parametrize("device, flag", [("AMD EPYC (1 threads)", "cpu"), ("Fixture CPU (2 threads)", "cpu"),
                                          ("NVIDIA H200", "cuda"), ("Tesla T4", "cuda")])
def test_the_device_flag_reads_the_recorded_device(device, flag):
    assert reproduce.device_flag({"environment": {"device": device}}) == flag
