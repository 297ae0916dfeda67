"""Fixture run records and benchmark results for the site's tests: valid records of plausible
learning curves, and ``battleground bench`` results of made-up timings.

Each curve is deterministic in (variant, seed), so the golden site is the same on every build.
"""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path

import numpy as np

from battleground.core import records
from battleground.core.config import DEFAULTS
from battleground.core.spec import Variant, variant

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
    fixed_epochs: bool = False,
    labels: dict | None = None,
    train_size: int | None = None,
) -> dict:
    """A valid schema-2 record of ``v`` trained ``epochs`` epochs with ``seed``; ``collapsed``
    makes it a network that predicts the digit 1 for every image (11.35% accuracy), and
    ``fixed_epochs`` one told to train ``epochs`` epochs (``config.epochs``) instead of a budget;
    with ``labels`` (a split file's, :func:`battleground.core.splits.read`), a complete run keeps
    per-image predictions, each right with the run's final accuracy and else a random class;
    ``train_size``: trained on that many training images instead of all 60,000."""
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
        # the model's own parameters, as training writes them; a training setting (lr) is in config
        "model": {"family": v.family, "params": v.model_kwargs, "parameters": PARAMETERS.get(v.family, 1000)},
        "classes": 10,
        "engine": "fixture",
        # as training writes it
        "config": DEFAULTS.replace(epochs=epochs if fixed_epochs else None, train_size=train_size).as_dict(),
        "flops": {"per_step_profiler": profiler, "per_step_complete": complete, "steps_per_epoch": steps,
                  "profiler_complete": True},
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
        "predictions": None,
    }
    if labels is not None and status == "complete":
        record["data"] = {"val_images": len(labels["val_labels"]), "test_images": len(labels["test_labels"]),
                          "train_images": train_size or 60_000}
        record["predictions"] = {"dtype": "uint8"}  # classes, one byte each
        for split in ("val", "test"):
            truth = np.array(labels[f"{split}_labels"])
            wrong = rng.random(len(truth)) > accuracy[-1]
            guessed = np.where(wrong, (truth + rng.integers(1, 10, len(truth))) % 10, truth)
            record["predictions"][split] = records.encode_classes(guessed)
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


def make_bench_results(device: str = "Fixture GPU 80GB", extra: dict[str, float] | None = None,
                       batched: bool = True) -> dict:
    """A valid ``battleground bench`` results file (battleground/core/benchmarks.py) of SimpleNet2 and
    LeNet5 on ``device``; ``extra`` adds contenders beyond the known ones, by median seconds."""
    k = 4
    settings = {"epochs": 3, "warmup": 1, "batch_models": k, "train_images": 60_000, "batch_size": 100,
                "lr": 0.001}
    base = {"SimpleNet2": 1.2, "LeNet5": 3.0}  # the tutorial's seconds per epoch
    results = {}
    for family, tutorial in base.items():
        medians = {"tutorial": tutorial, "trainer": tutorial / 1.5}
        if family == "SimpleNet2":
            medians["autograd"] = tutorial / 1.1
        if batched:
            medians["batched"] = tutorial / 1.5 * k / 2.5
        medians.update(extra or {})
        seconds = {name: [round(m * f, 6) for f in (0.98, 1.0, 1.05)] for name, m in medians.items()}
        medians = {name: values[1] for name, values in seconds.items()}
        models = {name: k if name == "batched" else 1 for name in medians}
        result = {
            "variant": {"SimpleNet2": "SimpleNet2[activation=ReLU,depth=0]", "LeNet5": "LeNet5[activation=tanh]"}[family],
            "seconds_per_epoch": seconds,
            "median_s": medians,
            "trainer_speedup_vs_tutorial": medians["tutorial"] / medians["trainer"],
            "speedup_vs_tutorial": {name: medians["tutorial"] / m for name, m in medians.items()},
            "model_epochs_per_s": {name: models[name] / m for name, m in medians.items()},
        }
        if "batched" in medians:
            result.update(batched_models=k, batched_speedup_vs_trainer=k * medians["trainer"] / medians["batched"])
        results[family] = result
    return {
        "schema": 1,
        "device": device,
        "environment": {"device": device, "torch": "2.13.0", "python": "3.11.2", "numpy": "2.4.6",
                        "platform": "Linux", "code_version": "0123456789abcdef0123456789abcdef01234567"},
        "python": "3.11.2",
        "torch": "2.13.0",
        "settings": settings,
        "results": results,
    }


def write_bench_results(runs_dir: Path, name: str, results: dict) -> Path:
    """Write a results file where the performance page reads it: runs/benchmarks/<name>.json."""
    path = Path(runs_dir) / records.BENCHMARKS_FOLDER / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
