"""The site's reproduce commands, run through the real command line's parser, select exactly the
run they were built from: its variant, its seed, every training setting, and its device."""

from __future__ import annotations

import os
import shlex
import subprocess
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
    by_variant: dict[tuple[str, str], list[dict]] = {}
    for record in committed_runs():
        by_variant.setdefault((record["investigation"], record["variant"]), []).append(record)
    seeded = {key: runs for key, runs in by_variant.items() if len(runs) > 1}
    # seeds trained alike share a command; a variant whose seeds ran for different epochs (a
    # longer run of one seed, as depth's seed 1729) needs a command each
    alike = [(name, runs) for (name, _), runs in seeded.items() if len({r["config"]["epochs"] for r in runs}) == 1]
    mixed = [(name, runs) for (name, _), runs in seeded.items() if len({r["config"]["epochs"] for r in runs}) > 1]
    assert alike and mixed
    for name, runs in alike[:5]:
        runs.sort(key=lambda r: r["seed"])
        command = reproduce.command(INVESTIGATIONS[name], runs)
        assert command.count("--seed ") == len(runs)
        assert_selects(command, runs)
    for name, runs in mixed[:5]:
        assert reproduce.command(INVESTIGATIONS[name], runs) is None
        for run in runs:
            assert_selects(reproduce.command(INVESTIGATIONS[name], [run]), [run])


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
    changed = fixture_run("node-budget", name, batch_size=50)
    command = reproduce.command(inv, [changed])
    assert command.endswith("# this run trained with batch_size=50, which node-budget no longer sets")
    gone = dict(changed, variant="MLP[widths=7]")
    assert "# variant 'MLP[widths=7]' is no longer declared by node-budget" in reproduce.command(inv, [gone])


def test_a_run_on_part_of_the_training_images_reproduces_with_train_size():
    inv = INVESTIGATIONS["network-zoo"]  # declares every image; a first pass trained on the first 10,000
    first_pass = fixture_run("network-zoo", "Basic", train_size=10_000)
    command = reproduce.command(inv, [first_pass])
    assert "--train-size 10000" in command and "#" not in command
    assert_selects(command, [first_pass])
    assert "--train-size" not in reproduce.command(inv, [fixture_run("network-zoo", "Basic")])


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


# What a record from elsewhere might hold to make a pasted command run something of its own: a
# line break (ends the comment), a carriage return, command substitution, a closing quote.
HOSTILE_NAMES = ["\ntouch INJECTED\n#", "x\r\ntouch INJECTED\r\n#", "$(touch INJECTED)", "`touch INJECTED`",
                 "'; touch INJECTED; '", "x\u2028touch INJECTED"]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_a_pasted_command_runs_nothing_that_a_record_holds(tmp_path, name):
    # The records reader refuses such names (tests/test_bad_files.py); the command builder must
    # be safe without that check. Undeclared, the name is in the command and in its comment.
    inv = INVESTIGATIONS["node-budget"]
    record = dict(fixture_run("node-budget", inv.variants[0].name), variant=name)
    command = reproduce.command(inv, [record])
    tools, work = tmp_path / "bin", tmp_path / "work"
    tools.mkdir()
    work.mkdir()
    fake = tools / "battleground"  # stands in for the real command: keeps its arguments
    fake.write_text('#!/bin/sh\nprintf "%s\\0" "$@" > ../arguments\n', encoding="utf-8")
    fake.chmod(0o755)
    done = subprocess.run(["bash"], input=command + "\n", cwd=work, capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{tools}{os.pathsep}/usr/bin{os.pathsep}/bin"})
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == [], f"the pasted command made files: {command!r}"
    arguments = (tmp_path / "arguments").read_bytes().decode("utf-8").split("\0")[:-1]
    assert arguments[:4] == ["run", "node-budget", "--variant", name]  # the name arrives whole
