"""``battleground bench``: our trainer against the tutorial loop, side by side in one process.

The contenders per model family, each timed for whole training epochs:

- ``tutorial``: the pytorch/examples mnist loop — a ``DataLoader`` over a ``TensorDataset`` in
  host memory, batch 100, shuffled, each batch moved with ``.to(device)``, SGD lr 1e-3;
- ``trainer``: ``battleground.train.loop.train_epoch``, the code path every run record comes from;
- ``python_loop``: the same trainer looping over the hand-written MLP step in Python instead of
  running the epoch in TorchScript (``battleground.train.mlp_epoch``), where that applies (MLPs on a CPU);
- ``autograd``: the same trainer with autograd's step instead of the hand-written step
  (``battleground.train.hand_step``), where that step applies: what the hand-written step buys;
- ``cuda_graph`` (CUDA only): the trainer replaying each step as a CUDA graph
  (``battleground.train.cuda_graph``), the eager trainer being ``trainer``;
- ``batched``: ``battleground.train.batched.StackedModels.train_epoch`` on K models at once, reported
  as model-epochs per second (not conv nets on a CPU).

The contenders take turns epoch by epoch (warm-up epochs first, untimed), so a noisy machine
slows all of them alike; medians summarise. Results go to a JSON file with the device, the
software versions and the code version, so every number traces to code; committed as
``runs/benchmarks/<device>.json``, a file appears on the site's performance page (its format:
``battleground/core/benchmarks.py``).
"""

from __future__ import annotations

import json
import platform
import re
import statistics
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from battleground.train import batched, data, engines, models, provenance, loop
from battleground.core import benchmarks, records
from battleground.core.config import DEFAULTS, SEEDS
from battleground.core.spec import Task, variant

SCHEMA = benchmarks.SCHEMA  # the file's format is benchmarks.py's, which the site reads
VARIANTS = {  # the published battleground's two headline models
    "SimpleNet2": variant("SimpleNet2", depth=0, activation="ReLU"),
    "LeNet5": variant("LeNet5", activation="tanh"),
}
# The batched contender's K by default: a seed band's size on a CPU, where batching buys little;
# on CUDA, enough models to fill the GPU as a large sweep would (many seeds and rates).
CPU_BATCH_MODELS, CUDA_BATCH_MODELS = 4, 256
LOG_INTERVAL = 10  # pytorch/examples reads loss.item() every 10 batches to log it: a host sync


def tutorial_epoch(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loader: DataLoader,
                   device: torch.device) -> None:
    """One epoch of pytorch/examples mnist ``train()`` (our models return logits, hence
    ``cross_entropy`` where the example's log-softmax model uses ``nll_loss``)."""
    model.train()
    for batch_idx, (images, target) in enumerate(loader):
        images, target = images.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), target)
        loss.backward()
        optimizer.step()
        if batch_idx % LOG_INTERVAL == 0:
            loss.item()


def _timed(epoch: Callable[[], object], device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    epoch()
    if device.type == "cuda":
        torch.cuda.synchronize(device)  # the trainer queues work; count it all
    return time.perf_counter() - start


def contenders(family: str, splits: data.Splits, device: torch.device, k: int) -> dict[str, Callable[[], object]]:
    """Each contender's one-epoch function, freshly initialised with the default seed."""
    config = DEFAULTS.replace(train_size=len(splits.train_y))
    tasks = [Task("bench", VARIANTS[family], seed, config) for seed in range(SEEDS[0], SEEDS[0] + k)]

    torch.manual_seed(SEEDS[0])
    model = models.build(VARIANTS[family]).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
    # The tutorial's data starts in host memory, as a torchvision data set would.
    loader = DataLoader(TensorDataset(splits.train_x.cpu(), splits.train_y.cpu()),
                        batch_size=config.batch_size, shuffle=True)
    state = loop.init_state(tasks[0], device)
    runners = {
        "tutorial": lambda: tutorial_epoch(model, optimizer, loader, device),
        "trainer": lambda: loop.train_epoch(state, splits, config),
    }
    if state.whole_epoch is not None:
        looped = loop.init_state(tasks[0], device)
        looped.whole_epoch = None  # the same hand-written step, looped over in Python
        runners["python_loop"] = lambda: loop.train_epoch(looped, splits, config)
    if state.engine != engines.autograd.name:
        plain = loop.init_state(tasks[0], device, fast=False)
        runners["autograd"] = lambda: loop.train_epoch(plain, splits, config)
    if device.type == "cuda":
        graphed = loop.init_state(tasks[0], device, cuda_graphs=True)
        runners["cuda_graph"] = lambda: loop.train_epoch(graphed, splits, config)
    # Batching buys little on a CPU, but the bench shows how much for the MLP; a conv net's
    # grouped convolution on a CPU would take minutes.
    if engines.batched.supports(model, config, device) is None and (
            engines.batched.worth_it(device) or not batched.convolutional(model)):
        stacked = batched.StackedModels([loop.init_state(task, device) for task in tasks], config)
        runners["batched"] = lambda: stacked.train_epoch(splits)
    return runners


def bench_family(family: str, splits: data.Splits, device: torch.device, epochs: int, warmup: int,
                 k: int, log: Callable[[str], None]) -> dict:
    """Interleaved epoch timings of ``family``'s contenders, their medians and ratios."""
    runners = contenders(family, splits, device, k)
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for round_ in range(warmup + epochs):
        timings = {name: _timed(epoch, device) for name, epoch in runners.items()}
        if round_ >= warmup:
            for name, elapsed in timings.items():
                seconds[name].append(elapsed)
        label = f"epoch {round_ + 1 - warmup}" if round_ >= warmup else "warm-up"
        log(f"{family} {label}: " + ", ".join(f"{name} {s:.3f} s" for name, s in timings.items()))
    median = {name: statistics.median(values) for name, values in seconds.items()}
    result = {
        "variant": VARIANTS[family].name,
        "seconds_per_epoch": seconds,  # batched: one epoch of all K models
        "median_s": median,
        "trainer_speedup_vs_tutorial": median["tutorial"] / median["trainer"],
        "speedup_vs_tutorial": {name: median["tutorial"] / median[name] for name in median},
        "model_epochs_per_s": {name: (k if name == "batched" else 1) / median[name] for name in median},
    }
    if "batched" in median:
        result.update(batched_models=k, batched_speedup_vs_trainer=k * median["trainer"] / median["batched"])
    return result


def device_slug(device: torch.device) -> str:
    """A file-name form of the device: ``nvidia-geforce-rtx-3070``, ``amd-epyc-7b13-2-threads``."""
    return re.sub(r"[^a-z0-9]+", "-", provenance.device_name(device).lower()).strip("-")


def run(families: list[str], device: torch.device, epochs: int, warmup: int, k: int,
        data_dir: str | None = None, train_size: int | None = None, log: Callable[[str], None] = print) -> dict:
    """The benchmark results of ``families``, as written to the results file."""
    unknown = [f for f in families if f not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown model family {unknown[0]!r} for bench; known: {', '.join(VARIANTS)}")
    if epochs < 1 or warmup < 0 or k < 1:
        raise ValueError("bench needs --epochs >= 1, --warmup >= 0 and --batch-models >= 1")
    config = DEFAULTS.replace(train_size=train_size)
    splits = data.make_splits(data.load_arrays(config.dataset, data_dir), config, device)
    results = {family: bench_family(family, splits, device, epochs, warmup, k, log) for family in families}
    for family, result in results.items():
        median = result["median_s"]
        log(f"{family}: tutorial {median['tutorial']:.3f} s/epoch, trainer {median['trainer']:.3f} s/epoch "
            f"({result['trainer_speedup_vs_tutorial']:.2f}x)" + (
                f", batched x{k} {result['model_epochs_per_s']['batched']:.2f} model-epochs/s "
                f"({result['batched_speedup_vs_trainer']:.2f}x the trainer)" if "batched" in median else ""))
    return {
        "schema": SCHEMA,
        "device": provenance.device_name(device),
        "environment": provenance.environment(device),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "settings": {"epochs": epochs, "warmup": warmup, "batch_models": k,
                     "train_images": len(splits.train_y), "batch_size": config.batch_size, "lr": config.lr},
        "results": results,
    }


def command(args, device: torch.device) -> Path:
    """``battleground bench``: run, print, and write the results file; returns its path."""
    families = [name.strip() for name in args.models.split(",") if name.strip()]
    k = args.batch_models
    if k is None:
        k = CUDA_BATCH_MODELS if device.type == "cuda" else CPU_BATCH_MODELS
    result = run(families, device, args.epochs, args.warmup, k, args.data_dir, args.train_size)
    out = Path(args.out) if args.out else Path("bench-results") / f"{device_slug(device)}.json"
    benchmarks.validate(result, out)  # a file the performance page would refuse never reaches the disk
    records.atomic_write_bytes(out, (json.dumps(result, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    print(f"wrote {out}")
    return out
