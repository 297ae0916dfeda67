"""``battleground plan``: what a sweep has left to do and what it will cost, before anything runs.

Each selected run is done (complete or diverged), short (complete, but with fewer epochs than
``--epochs`` now asks: a run to continue or train again), changed (finished, but with other
settings than the sweep's, such as fewer training images: a run to train again, ``--replace``),
partial (a record that stopped mid-way) or missing.

The cost of the rest comes from one timed epoch of each model shape on this machine's device (on
at most :data:`TIMED_IMAGES` training images, scaled to the run's), plus one timed validation; or,
with a ``bench`` file (``battleground bench``, perhaps run on another machine), from its trainer's
seconds per epoch of the family's benchmarked model, scaled by the FLOPs of a training step.
Timing is what a plan spends its time on, so a family with more than :data:`SAMPLED_ABOVE` shapes
left (under the same data settings) has only :data:`TIMED_PER_FAMILY` timed, spread evenly over
its shapes ordered by training FLOPs per example, the smallest and the largest among them. Every
other shape costs what the timed one nearest it in FLOPs took, scaled by their ratio: within a
family the same kinds of layer do the work, so FLOPs track the time well enough for a sweep's
total (one small network, whose time goes on per-layer overheads, can be off by a factor of two
or more), and the network zoo's thousand shapes take a minute to plan on a CPU instead of twenty.
``time_every_shape`` times each shape.

A run with a budget takes its budget plus its timing epoch; one with fixed epochs takes the epochs
it lacks (a short run is costed as its continuation, and the plan says how much more training the
short runs again would take). The wall time is the longest-first schedule of the runs over the
slots: the local executor's ``--jobs`` processes, or the Ray cluster's concurrent tasks.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from battleground.core import records
from battleground.core.spec import Task
from battleground.train import executor

TIMED_IMAGES = 10_000  # training images of the timed epoch: enough to time, quick for a large grid
# A family with more than SAMPLED_ABOVE shapes left has only TIMED_PER_FAMILY of them timed, spread
# evenly over its FLOPs (the smallest and the largest among them); a smaller sweep times each shape,
# since there a plan is quick and a per-shape time exact.
SAMPLED_ABOVE = 24
TIMED_PER_FAMILY = 5


@dataclass(frozen=True)
class Cost:
    """Seconds one epoch of a model shape takes, training and validation apart, and where that
    figure came from."""

    train_s: float
    val_s: float
    source: str


@dataclass(frozen=True)
class Planned:
    task: Task
    state: str  # one of STATES
    epochs_done: int
    seconds: float  # the run's remaining wall time on one slot (0 when done)


STATES = ("done", "short", "changed", "partial", "missing")


def state_of(task: Task, runs_dir: Path | str) -> tuple[str, int]:
    """``(state, epochs recorded)`` of ``task``'s record in ``runs_dir``: a complete record with
    fewer epochs than ``task.config.epochs`` is short (a budget run, or a diverged one, which
    stopped where training can tell no more, is done); a finished one with other settings is
    changed, and costs a whole run (0 epochs that count)."""
    state, epochs, _ = _state_why(task, runs_dir)
    return state, epochs


def _state_why(task: Task, runs_dir: Path | str) -> tuple[str, int, str | None]:
    """:func:`state_of`, and why a finished run falls short of ``task`` (None if it does not)."""
    path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
    if not path.exists():
        return "missing", 0, None
    try:
        record = records.load_record(path)
    except records.RecordError:
        return "partial", 0, None  # unreadable: a re-run resumes from the checkpoint or trains afresh
    if records.is_smoke(record) != task.smoke:  # a smoke run's record stands for no real run
        return "missing", 0, None
    epochs = len(record["epochs"]["epoch"])
    if record["status"] not in executor.FINISHED:
        return "partial", epochs, None
    why = executor.falls_short(record, task)
    if why is None:
        return "done", epochs, None
    return ("changed", 0, why) if executor.changed_settings(record, task) else ("short", epochs, why)


def shape_key(task: Task) -> tuple:
    """What an epoch's time depends on: the model and the data's size and batching, not the seed,
    the learning rate or the schedule."""
    from battleground.train import models

    config = task.config
    return (task.variant.family, tuple(sorted(models.full_params(task.variant).items())), config.problem,
            config.dataset, config.train_size, config.batch_size, config.optimizer, config.pairs,
            config.downsample, config.val_size)


def settings_key(task: Task) -> tuple:
    """:func:`shape_key` without the model's own parameters: the family and the data and batching
    settings, within which step FLOPs predict how an epoch's time changes from shape to shape."""
    family, _model_params, *settings = shape_key(task)
    return (family, *settings)


def _trimmed(splits, images: int):
    """``splits`` with only the first ``images`` training examples."""
    extras = dict(splits.extras)
    if "train" in extras:
        extras["train"] = {name: tensor[:images] for name, tensor in extras["train"].items()}
    return dataclasses.replace(splits, train_x=splits.train_x[:images], train_y=splits.train_y[:images],
                               extras=extras)


def time_epoch(task: Task, device: torch.device, data_dir: Path | str | None, cache: dict) -> Cost:
    """One epoch of ``task``'s model on this device, timed on at most :data:`TIMED_IMAGES` images
    after one untimed warm-up batch, and one validation pass."""
    from battleground.train import data, loop, problems

    config = task.config
    problem = problems.for_config(config)
    if config.dataset not in cache:
        cache[config.dataset] = data.load_arrays(config.dataset, data_dir)
    splits = problem.make_splits(cache[config.dataset], device, task.seed if problem.per_seed else None)
    images = len(splits.train_y)
    timed = _trimmed(splits, min(images, TIMED_IMAGES))
    state = loop.init_state(task, device)
    loop.train_epoch(state, _trimmed(splits, config.batch_size), config)  # warm-up: first-call costs
    begun = time.perf_counter()
    loop.train_epoch(state, timed, config)
    train_s = (time.perf_counter() - begun) * images / len(timed.train_y)
    begun = time.perf_counter()
    problem.evaluate(state.model, splits.part("val"))
    return Cost(train_s, time.perf_counter() - begun, f"timed on {len(timed.train_y):,} images")


def step_flops(task: Task) -> int:
    """FLOPs of one training example's forward and backward pass through ``task``'s model."""
    from battleground.train import models, problems
    from battleground.train.problems import logits_of

    problem = problems.for_config(task.config)
    torch.manual_seed(0)
    model = models.build(task.variant, problem.shape)
    x = torch.zeros(2, *problem.input_shape)  # 2: batch norm needs more than one
    with FlopCounterMode(display=False) as counter:
        logits_of(model(x)).sum().backward()
    return counter.get_total_flops() // 2


def bench_cost(task: Task, bench: dict, path: Path | str) -> Cost | None:
    """``task``'s epoch from a bench file: the trainer's median seconds per epoch of the family's
    benchmarked model, scaled by training images and step FLOPs; None if the file lacks the family."""
    from battleground.train.bench import VARIANTS

    result = bench.get("results", {}).get(task.variant.family)
    if result is None or task.variant.family not in VARIANTS:
        return None
    benched = Task(task.investigation, VARIANTS[task.variant.family], task.seed, task.config)
    images = task.config.train_size or 60_000
    scale = (step_flops(task) / step_flops(benched)) * images / bench["settings"]["train_images"]
    seconds = result["median_s"]["trainer"] * scale
    # validation: a forward pass over val_size images, about a third of a training step's work
    val_s = seconds * task.config.val_size / images / 3
    return Cost(seconds, val_s, f"from {Path(path).name} ({bench.get('device', '?')}), scaled by FLOPs")


def flops_references(shapes: dict[tuple, Task]) -> dict[tuple, tuple[tuple, float]]:
    """The shapes to cost by FLOPs instead of timing them, each with the timed shape it is scaled
    from and the ratio of their step FLOPs; ``shapes`` holds one task per shape key. Where a family
    (under the same settings) has more than :data:`SAMPLED_ABOVE` shapes, :data:`TIMED_PER_FAMILY`
    are timed, spread evenly over its shapes ordered by step FLOPs (the smallest and the largest
    among them), so that every other shape has a timed one near it; it is scaled from the nearest
    on a log scale, as FLOPs of a family's shapes differ by factors, not by amounts."""
    families: dict[tuple, list[tuple]] = defaultdict(list)
    for key, task in shapes.items():
        families[settings_key(task)].append(key)
    references = {}
    for keys in families.values():
        if len(keys) <= SAMPLED_ABOVE:  # kept above TIMED_PER_FAMILY
            continue
        flops = {key: step_flops(shapes[key]) for key in keys}
        ordered = sorted(keys, key=flops.__getitem__)  # stable: equal FLOPs keep the declared order
        last = len(ordered) - 1
        timed = [ordered[round(i * last / (TIMED_PER_FAMILY - 1))] for i in range(TIMED_PER_FAMILY)]
        for key in keys:
            if key not in timed:
                nearest = min(timed, key=lambda near: abs(math.log(flops[key] / flops[near])))
                references[key] = (nearest, flops[key] / flops[nearest])
    return references


def scaled_cost(cost: Cost, ratio: float, reference: Task) -> Cost:
    """``cost``, the timed epoch of ``reference``'s shape, for a shape with ``ratio`` times its step FLOPs."""
    return Cost(cost.train_s * ratio, cost.val_s * ratio, f"scaled by FLOPs from {reference.variant.name}")


def shape_costs(shapes: dict[tuple, Task], device: torch.device, data_dir: Path | str | None,
                bench: dict | None, bench_path: Path | str | None, time_every_shape: bool,
                log: Callable[[str], None]) -> dict[tuple, Cost]:
    """Each shape's epoch (``shapes``: one task per shape key, in the runs' order): from the bench
    file where it has the family, else timed here, or scaled by FLOPs from a timed shape of its
    family (:func:`flops_references`) unless ``time_every_shape``. Logs a line for each shape
    benched or timed, and how many were scaled."""
    benched = {}
    for key, task in shapes.items():
        cost = bench_cost(task, bench, bench_path) if bench is not None else None
        if cost is not None:
            benched[key] = cost
    unbenched = {key: task for key, task in shapes.items() if key not in benched}
    if unbenched and device.type == "cuda" and not torch.cuda.is_available():
        family = next(iter(unbenched.values())).variant.family
        raise ValueError(f"{Path(bench_path).name} has no {family} result, and without CUDA "
                         "here its epochs cannot be timed")
    references = {} if time_every_shape else flops_references(unbenched)
    costs: dict[tuple, Cost] = {}
    arrays: dict = {}
    for key, task in shapes.items():
        if key in references:
            continue
        costs[key] = benched[key] if key in benched else time_epoch(task, device, data_dir, arrays)
        c = costs[key]
        log(f"  {task.variant.name}: {c.train_s:.2f} s a training epoch + {c.val_s:.2f} s validation ({c.source})")
    for key, (reference, ratio) in references.items():
        costs[key] = scaled_cost(costs[reference], ratio, shapes[reference])
    if references:
        log(f"timed {len(unbenched) - len(references)} shapes, scaled {len(references)} more by their "
            "training FLOPs (--time-every-shape times each)")
    return costs


def run_seconds(task: Task, cost: Cost, epochs_done: int) -> float:
    """The wall time the rest of ``task`` takes on one slot."""
    config = task.config
    if config.epochs is not None:
        return (config.epochs - epochs_done) * (cost.train_s + cost.val_s)
    epochs = max(1, math.floor(config.budget_s / cost.train_s))
    return cost.train_s + max(0, epochs - epochs_done) * (cost.train_s + cost.val_s)  # + the timing epoch


def makespan(seconds: list[float], slots: int) -> float:
    """The wall time of jobs of ``seconds`` on ``slots`` parallel slots, longest first, each to the
    slot that frees first."""
    free = [0.0] * max(1, slots)
    for s in sorted(seconds, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + s)
    return max(free)


def _span(numbers: list[int]) -> str:
    """``10`` or ``10-20``: the range of some epoch counts."""
    low, high = min(numbers), max(numbers)
    return f"{low}" if low == high else f"{low}-{high}"


def _hours(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def plan(tasks: list[Task], runs_dir: Path | str, device: torch.device, slots: int, where: str,
         data_dir: Path | str | None = None, bench_path: Path | str | None = None,
         time_every_shape: bool = False, log: Callable[[str], None] = print) -> list[Planned]:
    """Print the plan of ``tasks``; returns each run's state and remaining seconds. A large family's
    shapes are mostly costed by FLOPs from a few timed ones, unless ``time_every_shape``."""
    bench = json.loads(Path(bench_path).read_text(encoding="utf-8")) if bench_path else None
    found = [_state_why(task, runs_dir) for task in tasks]
    states = [(state, epochs) for state, epochs, _ in found]
    counts = {name: sum(state == name for state, _ in states) for name in STATES}
    log(f"{len(tasks)} runs declared: " + ", ".join(f"{counts[name]} {name}" for name in STATES))
    short = [epochs for state, epochs in states if state == "short"]
    if short:
        wanted = sorted({task.config.epochs for task, (state, _) in zip(tasks, states) if state == "short"})
        log(f"short: {len(short)} complete runs have {_span(short)} epochs of the {_span(wanted)} asked "
            "(continue them, or train them again)")
    changed = [why for state, _, why in found if state == "changed"]
    if changed:
        log(f"changed: {len(changed)} finished runs no longer match the sweep's settings, e.g. one "
            f"{changed[0]}; --replace trains them again")
    left = {}  # one task per shape with runs left, in the runs' order
    for task, (state, _) in zip(tasks, states):
        if state != "done":
            left.setdefault(shape_key(task), task)
    costs = shape_costs(left, device, data_dir, bench, bench_path, time_every_shape, log)
    planned = [Planned(task, state, epochs_done,
                       0.0 if state == "done" else run_seconds(task, costs[shape_key(task)], epochs_done))
               for task, (state, epochs_done) in zip(tasks, states)]
    todo = [p.seconds for p in planned if p.state != "done"]
    if todo:
        device_s = sum(todo)
        log(f"left: {len(todo)} runs, {device_s / 3600:.2f} slot-hours "
            f"({_hours(device_s / len(todo))} a run on average)")
        if short:
            rerun_s = sum(run_seconds(p.task, costs[shape_key(p.task)], 0) - p.seconds
                          for p in planned if p.state == "short")
            log(f"  short runs costed as continuations; training them again instead adds "
                f"{rerun_s / 3600:.2f} slot-hours")
        log(f"wall time: about {_hours(makespan(todo, slots))} on {slots} slot{'s' if slots != 1 else ''} ({where})")
    else:
        log("nothing left to train")
    return planned
