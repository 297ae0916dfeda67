"""``battleground bench --cores N``: N one-thread processes against one process of N threads,
both training for real; the ratio it prints is the two throughputs' quotient."""

from __future__ import annotations

import re

import pytest

from battleground.train import cores
from battleground.train.cli import main


@pytest.mark.slow  # trains a small model in this process and in two spawned ones
def test_processes_and_threads_are_both_timed_and_their_ratio_printed(data_dir, capsys):
    found = cores.compare("SimpleNet2", 2, epochs=1, warmup=0, data_dir=str(data_dir), train_size=500)
    assert found["one_process_model_epochs_per_s"] > 0 and found["processes_model_epochs_per_s"] > 0
    assert found["processes_vs_threads"] == pytest.approx(
        found["processes_model_epochs_per_s"] / found["one_process_model_epochs_per_s"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    shown = re.fullmatch(r"SimpleNet2 on 2 cores: one process of 2 threads ([\d.]+) model-epochs/s, "
                         r"2 one-thread processes ([\d.]+) \(([\d.]+)x\)", line)
    assert shown, line
    assert float(shown[3]) == pytest.approx(float(shown[2]) / float(shown[1]), abs=0.01)


@pytest.mark.parametrize("argv, message", [
    (["--cores", "1"], "--cores 1: expected a whole number from 2"),
    (["--cores", "2", "--device", "cuda"], "leave out --device or give cpu"),
    (["--cores", "2", "--models", "Nope"], "unknown model family 'Nope'"),
])
def test_cores_that_cannot_be_compared_are_one_line_errors(argv, message, capsys):
    assert main(["bench", *argv]) == 2
    assert message in capsys.readouterr().err
