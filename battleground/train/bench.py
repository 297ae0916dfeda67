"""``battleground bench``: our trainer against the tutorial loop, side by side in one process.

The contenders per model family, each timed for whole training epochs:

- ``tutorial``: the pytorch/examples mnist loop — a ``DataLoader`` over a ``TensorDataset`` in
  host memory, batch 100, shuffled, each batch moved with ``.to(device)``, the family's optimizer
  (SGD lr 1e-3; the zoo's Adam for a zoo family);
- ``trainer``: ``battleground.train.loop.train_epoch``, the code path every run record comes from;
- ``python_loop``: the same trainer looping over the hand-written MLP step in Python instead of
  running the epoch in TorchScript (``battleground.train.engines.torchscript_epoch``), where that applies (MLPs on a CPU);
- ``autograd``: the same trainer with autograd's step instead of the hand-written step
  (``battleground.train.engines.hand_step``), where that step applies: what the hand-written step buys;
- ``cuda_graph`` (CUDA only): the trainer replaying each step as a CUDA graph
  (``battleground.train.engines.cuda_graphs``), the eager trainer being ``trainer``;
- ``batched``: ``battleground.train.engines.batched.StackedModels.train_epoch`` on K models at once, reported
  as model-epochs per second (not conv nets on a CPU);
- for conv nets on a CPU, autograd with the options the trainer does not take: ``contiguous``
  (the default memory layout, where the trainer's conv nets are channels-last, see
  ``loop.place``), ``no_onednn`` (oneDNN, ``torch.backends.mkldnn``, switched off) and
  ``compiled`` (the step through ``torch.compile``; its compilation falls in the warm-up epochs,
  and where it cannot compile here the bench says why and leaves it out). Their baseline is
  autograd in the trainer's layout: the trainer, or its ``autograd`` contender where a faster
  engine trains the family (LeNet5's hand-written step); and for a family trained with Adam on a
  CPU, ``fused_adam``: autograd with ``torch.optim.Adam(fused=True)``, which updates every
  parameter in one kernel (the same update to float rounding, not bit for bit).

The families are the published battleground's two headline models and, for the network zoo, the
first ReLU network of its Conv2d, Conv2dThenLinear and ResNet cells, trained with the zoo's
optimizer. Besides the ratios to the tutorial, each family prints every contender's ratio to the
trainer (above 1: faster than the trainer).

The contenders take turns epoch by epoch (warm-up epochs first, untimed), so a noisy machine
slows all of them alike; medians summarise. Results go to a JSON file with the device, the
software versions and the code version, so every number traces to code; committed as
``runs/benchmarks/<device>.json``, a file appears on the site's performance page (its format:
``battleground/core/benchmarks.py``).
"""

from __future__ import annotations

import functools
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

import experiments
from battleground.train import data, engines, models, provenance, loop
from battleground.core import benchmarks, records, zoo
from battleground.core.config import DEFAULTS, SEEDS
from battleground.core.spec import Task, variant

SCHEMA = benchmarks.SCHEMA  # the file's format is benchmarks.py's, which the site reads
ZOO_CELLS = ("Conv2d", "Conv2dThenLinear", "ResNet")  # the kinds that take most of the zoo's time
VARIANTS = {  # the published battleground's two headline models, then one network of each zoo cell
    "SimpleNet2": variant("SimpleNet2", depth=0, activation="ReLU"),
    "LeNet5": variant("LeNet5", activation="tanh"),
    **{network.variant.family: network.variant for network in
       (zoo.cell(computation, "ReLU", 1)[0] for computation in ZOO_CELLS)},
}
ZOO_INVESTIGATION = "network-zoo"  # whose optimizer and learning rate the zoo families train with
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


def family_config(family: str, train_images: int):
    """The defaults, with the network zoo's optimizer and learning rate for a zoo family."""
    config = DEFAULTS.replace(train_size=train_images)
    if zoo.computation_of(family) is None:
        return config
    trained = experiments.get(ZOO_INVESTIGATION).config
    return config.replace(optimizer=trained.optimizer, lr=trained.lr)


def _without_onednn(epoch: Callable[[], object]) -> object:
    with torch.backends.mkldnn.flags(enabled=False):
        return epoch()


def _compiled(task: Task, splits: data.Splits, config, device: torch.device,
              log: Callable[[str], None]) -> Callable[[], object] | None:
    """The trainer's epoch with its model through ``torch.compile``, or None (and why, logged)
    where this machine cannot compile it (inductor needs a C compiler on a CPU)."""
    state = loop.init_state(task, device, fast=False)
    try:  # compiles now; the warm-up epochs absorb any recompilation
        state.step = functools.partial(engines.autograd.training_step, torch.compile(state.model), state.optimizer,
                                       state.problem.loss)
        state.step(splits.train_x[:config.batch_size], splits.train_y[:config.batch_size])
    except Exception as error:  # noqa: BLE001 -- any compiler failure means: not here
        log(f"{task.variant.family}: compiled contender left out: {type(error).__name__}: {str(error).splitlines()[0]}")
        return None
    return lambda: loop.train_epoch(state, splits, config)


def contenders(family: str, splits: data.Splits, device: torch.device, k: int,
               log: Callable[[str], None] = print) -> dict[str, Callable[[], object]]:
    """Each contender's one-epoch function, freshly initialised with the default seed."""
    config = family_config(family, len(splits.train_y))
    tasks = [Task("bench", VARIANTS[family], seed, config) for seed in range(SEEDS[0], SEEDS[0] + k)]

    torch.manual_seed(SEEDS[0])
    model = models.build(VARIANTS[family]).to(device)
    optimizer = loop.make_optimizer(model, config)
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
    if device.type == "cpu" and engines.batched.convolutional(model):
        contiguous = loop.init_state(tasks[0], device, fast=False)
        contiguous.model.to(memory_format=torch.contiguous_format)  # in place: the optimizer keeps its parameters
        runners["contiguous"] = lambda: loop.train_epoch(contiguous, splits, config)
        no_onednn = loop.init_state(tasks[0], device, fast=False)
        runners["no_onednn"] = lambda: _without_onednn(lambda: loop.train_epoch(no_onednn, splits, config))
        compiled = _compiled(tasks[0], splits, config, device, log)
        if compiled is not None:
            runners["compiled"] = compiled
    if device.type == "cpu" and config.optimizer == "Adam":  # the zoo's: Adam's one-kernel update
        fused = loop.init_state(tasks[0], device, fast=False)
        fused.step = functools.partial(engines.autograd.training_step, fused.model,
                                       torch.optim.Adam(fused.model.parameters(), lr=config.lr, fused=True),
                                       fused.problem.loss)
        runners["fused_adam"] = lambda: loop.train_epoch(fused, splits, config)
    # Batching buys little on a CPU, but the bench shows how much for the MLP; a conv net's
    # grouped convolution on a CPU would take minutes.
    if engines.batched.supports(model, config, device) is None and (
            engines.batched.worth_it(device) or not engines.batched.convolutional(model)):
        stacked = engines.batched.StackedModels([loop.init_state(task, device) for task in tasks], config)
        runners["batched"] = lambda: stacked.train_epoch(splits)
    return runners


def bench_family(family: str, splits: data.Splits, device: torch.device, epochs: int, warmup: int,
                 k: int, log: Callable[[str], None]) -> dict:
    """Interleaved epoch timings of ``family``'s contenders, their medians and ratios."""
    runners = contenders(family, splits, device, k, log)
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for round_ in range(warmup + epochs):
        timings = {name: _timed(epoch, device) for name, epoch in runners.items()}
        if round_ >= warmup:
            for name, elapsed in timings.items():
                seconds[name].append(elapsed)
        label = f"epoch {round_ + 1 - warmup}" if round_ >= warmup else "warm-up"
        log(f"{family} {label}: " + ", ".join(f"{name} {s:.3f} s" for name, s in timings.items()))
    median = {name: statistics.median(values) for name, values in seconds.items()}
    per_s = {name: (k if name == "batched" else 1) / median[name] for name in median}
    result = {
        "variant": VARIANTS[family].name,
        "optimizer": family_config(family, 1).optimizer,
        "seconds_per_epoch": seconds,  # batched: one epoch of all K models
        "median_s": median,
        "trainer_speedup_vs_tutorial": median["tutorial"] / median["trainer"],
        "speedup_vs_tutorial": {name: median["tutorial"] / median[name] for name in median},
        # per model-epoch, so that the batched contender's K models count
        "speedup_vs_trainer": {name: per_s[name] / per_s["trainer"] for name in median},
        "model_epochs_per_s": per_s,
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
        log(f"{family} against the trainer ({result['optimizer']}): " + ", ".join(
            f"{name} {ratio:.2f}x" for name, ratio in result["speedup_vs_trainer"].items() if name != "trainer"))
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
