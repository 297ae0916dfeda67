"""Fixture run records for the site's tests: valid records of plausible learning curves.

Each curve is deterministic in (variant, seed), so the golden site is the same on every build.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path

import numpy as np

from battleground import records
from battleground.config import DEFAULTS
from battleground.spec import Variant, variant

# per training step at batch 100: the DESIGN's hand count for SimpleNet2; LeNet5's is a stand-in
PER_STEP = {"SimpleNet2": (31_960_000, 31_960_000), "LeNet5": (86_000_000, 129_000_000)}
PARAMETERS = {"SimpleNet2": 79_510, "LeNet5": 61_706}


def make_record(
    investigation: str,
    v: Variant,
    seed: int,
    epochs: int = 30,
    status: str = "complete",
    device: str = "Fixture GPU 80GB",
    collapsed: bool = False,
) -> dict:
    """A valid schema-1 record of ``v`` trained ``epochs`` epochs with ``seed``; ``collapsed``
    makes it a network that predicts the digit 1 for every image (11.35% accuracy)."""
    rng = np.random.default_rng(zlib.crc32(f"{v.name}|{seed}".encode()))
    profiler, complete = PER_STEP.get(v.family, PER_STEP["SimpleNet2"])
    steps = 600
    quality = 0.004 + (zlib.crc32(v.name.encode()) % 100) / 100 * 0.05  # the variant's final error
    speed = 0.5 + (zlib.crc32(v.name.encode()) % 37) / 37 * 3
    e = np.arange(1, epochs + 1)
    error = quality + (0.9 - quality) / (1 + e / speed) ** 1.3
    error = np.clip(error * np.exp(rng.normal(0, 0.03, epochs)), 1e-4, 0.95)
    accuracy = 1 - error
    if collapsed:
        accuracy = np.clip(0.1135 + rng.normal(0, 0.002, epochs), 0.1, 0.13)
    seconds = 0.012 * (1 + rng.normal(0, 0.02, epochs)) * (3 if v.family == "LeNet5" else 1)
    val_loss = -np.log(accuracy) * 1.2
    train_loss = val_loss * 0.9
    record = {
        "schema": records.SCHEMA,
        "investigation": investigation,
        "variant": v.name,
        "seed": seed,
        "status": status,
        "model": {"family": v.family, "params": dict(v.params), "parameters": PARAMETERS.get(v.family, 1000)},
        "config": {"dataset": DEFAULTS.dataset, "batch_size": DEFAULTS.batch_size, "optimizer": DEFAULTS.optimizer,
                   "lr": DEFAULTS.lr, "loss": DEFAULTS.loss, "budget_s": DEFAULTS.budget_s,
                   "val_split_seed": DEFAULTS.val_split_seed},
        "flops": {"per_step_profiler": profiler, "per_step_complete": complete, "steps_per_epoch": steps},
        "timed_epoch_s": 0.012,
        "environment": {"device": device, "torch": "2.13.0", "python": "3.11.2", "code_version": "fixture"},
        "epochs": {
            "epoch": e.tolist(),
            "train_loss": train_loss.tolist(),
            "val_loss": val_loss.tolist(),
            "val_accuracy": accuracy.tolist(),
            "seconds": seconds.tolist(),
            "cumulative_flops": (e * profiler * steps).tolist(),
        },
        "test_accuracy": None if status in ("running", "diverged") else float(accuracy[-1]) - 0.001,
        # predicted-class counts on the 8,000 validation images; a diverged net predicts one class
        "val_prediction_counts": ([8_000] + [0] * 9 if status == "diverged"
                                  else [0, 8_000] + [0] * 8 if collapsed else [800] * 10),
    }
    if status == "diverged":
        record["epochs"]["val_accuracy"][-1] = None
        record["epochs"]["train_loss"][-1] = math.nan
    return record


def write_run(runs_dir: Path, investigation: str, v: Variant, seed: int, **kwargs) -> Path:
    """Write one fixture record where records.record_path puts it."""
    record = make_record(investigation, v, seed, **kwargs)
    return records.write_record(records.record_path(runs_dir, investigation, v.name, seed), record)


def write_activation_runs(runs_dir: Path, epochs: int = 30) -> list[Path]:
    """A small but varied set of activation-functions runs: several activations, three seeds of
    one, a running and a diverged run, and one long run (to exercise downsampling)."""
    inv = "activation-functions"
    paths = []
    for activation in ("ReLU", "tanh", "sigmoid"):
        for seed in ((1729, 271828, 314159) if activation == "ReLU" else (1729,)):
            paths.append(write_run(runs_dir, inv, variant("SimpleNet2", depth=0, activation=activation), seed,
                                   epochs=epochs))
    paths.append(write_run(runs_dir, inv, variant("SimpleNet2", depth=0, activation="SiLU"), 1729,
                           epochs=epochs // 2, status="running"))
    paths.append(write_run(runs_dir, inv, variant("LeNet5", activation="ReLU"), 1729, epochs=1200))
    paths.append(write_run(runs_dir, inv, variant("LeNet5", activation="sigmoid"), 1729, epochs=12,
                           status="diverged"))
    return paths
