"""Train one task (a variant and a seed) and write its run record after every epoch.

The loop is built for speed: the data already lives on the device (``battleground.train.data``), each
epoch's order is a permutation drawn on the device, batches are index lookups, and the only host
syncs are one per epoch for the train loss and a few for evaluation.

Everything a run mutates lives in one :class:`RunState`, so checkpointing it is enough to
resume a run exactly. What is trained is the config's: its problem (``battleground.train.problems``:
data, loss, metrics, classes), optimizer, learning-rate schedule and weight initialisation, all
named in ``battleground.core.catalogue``.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from battleground.train import checkpoint, engines, executor, flops, models, problems, provenance
from battleground.core import catalogue, records
from battleground.core.config import TrainConfig, format_budget
from battleground.train.data import Splits
from battleground.train.engines.autograd import training_step  # the reference step; FLOPs are counted on it
from battleground.train.problems import Evaluation
from battleground.core.spec import Task

# catalogue.OPTIMIZERS -> the class; PyTorch defaults besides lr, momentum and weight decay where set
OPTIMIZERS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}
LOSSES = {"cross_entropy": F.cross_entropy}
INITS = {  # catalogue.INITS -> what it does to a weight tensor (None: keep the layer's default)
    "default": None,
    "kaiming": lambda w: nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu"),
    "xavier": nn.init.xavier_uniform_,
}
WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)  # the layers an initialisation re-draws


@dataclass
class RunState:
    """All mutable state of a run: checkpoint this and the run resumes where it stopped."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    order: torch.Generator  # draws each epoch's batch order, on the training device
    step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # one SGD step on a batch -> its loss
    engine: str = engines.autograd.name  # the engine that trains it (battleground.train.engines)
    whole_epoch: engines.torchscript_epoch.ScriptedEpoch | None = None  # the step's loop in TorchScript, where it applies
    cuda_graphs: bool = False  # replay the step as a CUDA graph (battleground.train.engines.cuda_graphs)
    graphed: dict = field(default_factory=dict)  # (id of the training images, lr) -> captured epoch
    epoch: int = 0  # epochs completed
    record: dict = field(default_factory=dict)  # the run record so far
    problem: problems.Problem | None = None  # what the model learns: its loss and metrics
    # The learning-rate schedule, stepped after each epoch; made once the epoch count is known
    # (a cosine schedule spans it), see attach_schedule. None: a constant rate.
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None


def _lookup(table: dict, name: str, what: str):
    if name not in table:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(table)}")
    return table[name]


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """``config.optimizer`` over ``model``'s parameters with ``config.lr``; SGD's momentum, and
    the weight decay where set (else the optimizer's own default)."""
    options = {"lr": config.lr}
    if config.optimizer == "SGD" and config.momentum:
        options["momentum"] = config.momentum
    if config.weight_decay is not None:
        options["weight_decay"] = config.weight_decay
    return _lookup(OPTIMIZERS, config.optimizer, "optimizer")(model.parameters(), **options)


def make_schedule(optimizer: torch.optim.Optimizer, config: TrainConfig,
                  epochs: int) -> torch.optim.lr_scheduler.LRScheduler | None:
    """``config.schedule`` on ``optimizer``, for a run of ``epochs`` epochs, stepped once per
    epoch; None for a constant rate."""
    if config.schedule == "StepLR":
        gamma = 0.1 if config.gamma is None else config.gamma  # PyTorch's default
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.step_size, gamma=gamma)
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    _lookup({"none": None}, config.schedule, "schedule")
    return None


def attach_schedule(state: RunState, config: TrainConfig, epochs: int) -> None:
    state.scheduler = make_schedule(state.optimizer, config, epochs)


@torch.no_grad()
def initialise(model: nn.Module, config: TrainConfig) -> None:
    """Re-draw the weights of linear and convolution layers as ``config.init`` says (from the
    global RNG, which the caller seeds), and zero their biases with ``config.zero_bias``."""
    draw = _lookup(INITS, config.init, "initialisation")
    for layer in model.modules():
        if isinstance(layer, WEIGHTED):
            if draw is not None:
                draw(layer.weight)
            if config.zero_bias and layer.bias is not None:
                layer.bias.zero_()


def make_step(model: nn.Module, optimizer: torch.optim.Optimizer, config: TrainConfig,
              fast: bool = True, problem: problems.Problem | None = None) -> Callable[..., torch.Tensor]:
    """The training step of the engine :func:`engines.select` picks for ``model`` on its device
    (autograd's unless ``fast``), on ``problem``'s loss (default: the config's): the hand-written
    step where it supports the model, bit for bit autograd's (``battleground.train.engines.hand_step``)."""
    device = next(model.parameters()).device
    return _build(engines.select(model, config, device, fast), model, optimizer, config, problem).step


def _build(engine, model: nn.Module, optimizer: torch.optim.Optimizer, config: TrainConfig,
           problem: problems.Problem | None = None) -> engines.Trainer:
    loss_fn = problem.loss if problem is not None else _lookup(LOSSES, config.loss, "loss")
    return engine.build(model, optimizer, config, loss_fn)


def place(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` on ``device``; a conv net on a CPU in channels-last layout, where oneDNN's
    convolution backward runs faster (most of all for LeNet5's one-channel first layer; the
    ``contiguous`` contender of ``battleground bench`` measures what it buys)."""
    model = model.to(device)
    convolutional = any(isinstance(layer, nn.Conv2d) for layer in model.modules())
    return model.to(memory_format=torch.channels_last) if device.type == "cpu" and convolutional else model


def init_state(task: Task, device: torch.device, fast: bool = True, cuda_graphs: bool = False) -> RunState:
    """A fresh model, optimizer, training step and order generator, all seeded from ``task.seed``;
    the step is the fastest engine's that supports the run (:func:`engines.select`; autograd's
    unless ``fast``): on a CPU an MLP's epochs in TorchScript, else the hand-written step where it
    applies. With ``cuda_graphs`` on a CUDA device, the step is replayed as a CUDA graph."""
    problem = problems.for_config(task.config)
    torch.manual_seed(task.seed)  # the weight initialisation: the layers' own, then config.init's
    model = models.build(task.variant, problem.shape)
    initialise(model, task.config)
    model = place(model, device)
    optimizer = make_optimizer(model, task.config)
    order = torch.Generator(device=device).manual_seed(task.seed)
    engine = engines.select(model, task.config, device, fast, graphs=cuda_graphs)
    trainer = _build(engine, model, optimizer, task.config, problem)
    return RunState(model=model, optimizer=optimizer, order=order, step=trainer.step, engine=engine.name,
                    whole_epoch=trainer.whole_epoch, cuda_graphs=trainer.cuda_graphs, problem=problem)


def train_epoch(state: RunState, splits: Splits, config: TrainConfig) -> float:
    """One pass over the training images in a fresh random order; returns the mean train loss."""
    state.model.train()
    n, size = len(splits.train_y), config.batch_size
    order = torch.randperm(n, generator=state.order, device=splits.train_y.device)
    total = torch.zeros((), device=splits.train_y.device)
    eager_from = 0
    graphed = _graphed_epoch(state, splits, size)
    if graphed is not None:  # every full batch by replaying the graph; a partial one eagerly
        total += graphed.run(order)
        eager_from = n - n % size
    elif state.whole_epoch is not None:  # every batch in one call
        total += state.whole_epoch(splits.train_x, splits.train_y, order, size)
        eager_from = n
    extras = splits.extras.get("train", {})
    for start in range(eager_from, n, size):
        batch = order[start : start + size]
        loss = state.step(splits.train_x.index_select(0, batch), splits.train_y.index_select(0, batch),
                          **{name: tensor.index_select(0, batch) for name, tensor in extras.items()})
        total += loss * len(batch)
    state.epoch += 1
    return (total / n).item()  # the epoch's one host sync


def _graphed_epoch(state: RunState, splits: Splits, size: int) -> engines.cuda_graphs.GraphedEpoch | None:
    """The run's captured step on these training images, captured on first use."""
    if not state.cuda_graphs or len(splits.train_y) < size:
        return None
    # A graph reads the very tensors it was captured with, and replays the rate it was captured
    # with: a schedule's new rate takes a new capture (only the latest is kept).
    key = (id(splits.train_x), state.optimizer.param_groups[0]["lr"])
    if key not in state.graphed:
        state.graphed = {key: engines.cuda_graphs.capture(state.model, state.step, splits.train_x, splits.train_y, size)}
    return state.graphed[key]


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, config: TrainConfig,
             problem: problems.Problem | None = None, **extras) -> Evaluation:
    """Mean loss, the problem's metrics and predicted-class counts over all of ``x``, in a few
    large batches, on ``problem`` (default: the config's)."""
    problem = problem or problems.for_config(config)
    return problem.evaluate(model, {"x": x, "y": y, **extras})


def measure_flops(model: nn.Module, splits: Splits, config: TrainConfig) -> flops.StepFlops:
    """FLOPs of one training step, measured on a copy so the run's model, optimizer and RNG
    stay untouched."""
    twin = copy.deepcopy(model)
    optimizer, loss_fn = make_optimizer(twin, config), problems.for_config(config).loss
    batch = {name: tensor[: config.batch_size] for name, tensor in splits.part("train").items()}
    x, y = batch.pop("x"), batch.pop("y")
    with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
        return flops.step_flops(lambda: training_step(twin, optimizer, loss_fn, x, y, **batch),
                                forward=lambda: twin(x))


def epochs_in_budget(budget_s: float, epoch_s: float) -> int:
    """How many epochs of ``epoch_s`` seconds fit in ``budget_s`` (at least one)."""
    return max(1, math.floor(budget_s / epoch_s))


def plan_epochs(task: Task, splits: Splits, device: torch.device, progress: bool = True) -> tuple[float | None, int]:
    """``(timed_epoch_s, epochs)``: ``config.epochs`` when set, else as many epochs as fit the
    budget after timing one epoch of a throwaway model (the run itself starts afresh)."""
    config = task.config
    if config.epochs is not None:
        return None, config.epochs
    if progress:
        tqdm.write(f"{task.variant.name} seed {task.seed}: timing one epoch for the {config.budget_s:g} s budget")
    timing = init_state(task, device)
    start = time.perf_counter()
    train_epoch(timing, splits, config)
    timed_epoch_s = time.perf_counter() - start
    epochs = epochs_in_budget(config.budget_s, timed_epoch_s)
    if progress:  # the methodology's budget is the training epochs' alone: say what comes on top
        tqdm.write(f"{task.variant.name} seed {task.seed}: one epoch took {timed_epoch_s:.2f} s, so "
                   f"{epochs} epoch{'s' if epochs != 1 else ''} fit the {format_budget(config.budget_s)} budget; "
                   "the timing epoch, each epoch's validation and the FLOP count take time on top of it")
    return timed_epoch_s, epochs


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_record(task: Task, splits: Splits, state: RunState, step: flops.StepFlops,
               timed_epoch_s: float | None, epochs_planned: int, device: torch.device,
               trained_by: dict = executor.LOCAL) -> dict:
    """The record of a run that has not finished an epoch yet; ``trained_by``: the executor's
    description (:func:`battleground.train.executor.describe`)."""
    n_train = len(splits.train_y)
    memory, operations = models.footprint(state.model, state.problem.shape["input_shape"])
    return {
        "schema": records.SCHEMA,
        "investigation": task.investigation,
        "variant": task.variant.name,
        "seed": task.seed,
        "status": "running",
        "model": {
            "family": task.variant.family,
            "params": models.full_params(task.variant),
            "parameters": models.parameter_count(state.model),
            "memory": memory,
            "operations": operations,
        },
        "classes": state.problem.classes,
        "config": task.config.as_dict(),
        "engine": state.engine,
        "data": {"source": splits.source, "train_images": n_train,
                 "val_images": len(splits.val_y), "test_images": len(splits.test_y)},
        "flops": {
            "per_step_profiler": step.profiler,
            "per_step_complete": step.complete,
            "steps_per_epoch": math.ceil(n_train / task.config.batch_size),
            # False where the profiler missed a layer's forward (Conv1d, Conv3d): chart the complete count
            "profiler_complete": step.profiler_complete,
        },
        "timed_epoch_s": timed_epoch_s,
        "epochs_planned": epochs_planned,
        "environment": provenance.environment(device, trained_by),
        "started": _now(),
        "finished": None,
        # the problem's further metrics as columns val_<metric>, after the standard ones
        "epochs": {name: [] for name in records.EPOCH_COLUMNS + state.problem.columns},
        "val_prediction_counts": None,
        f"test_{state.problem.metrics[0]}": None,  # the headline metric on the test images, once complete
        "predictions": None,  # the final model's prediction of every val and test input, once complete
        **({"smoke": True} if task.smoke else {}),  # absent from a real run's record
    }


def _append_epoch(record: dict, epoch: int, train_loss: float, seconds: float, val: Evaluation) -> None:
    flops_per_epoch = record["flops"]["steps_per_epoch"] * record["flops"]["per_step_profiler"]
    row = {
        "epoch": epoch,
        "train_loss": train_loss,
        "val_loss": val.loss,
        "seconds": seconds,
        # The profiler's count, as the published battleground; scale by
        # flops.per_step_complete / per_step_profiler for the complete count.
        "cumulative_flops": epoch * flops_per_epoch,
    }
    row.update({f"val_{name}": value for name, value in val.metrics.items()})
    for name in record["epochs"]:
        record["epochs"][name].append(row[name])
    record["val_prediction_counts"] = val.prediction_counts


def save_checkpoint(path: Path, state: RunState, epochs_planned: int) -> None:
    """Write ``state`` to the checkpoint at ``path``, from which :func:`train` resumes the run."""
    checkpoint.save(path, model=state.model, optimizer=state.optimizer, order=state.order,
                    epoch=state.epoch, epochs_planned=epochs_planned, record=state.record,
                    scheduler=state.scheduler)


def _resume(path: Path, state: RunState, task: Task, splits: Splits, record_path: Path) -> int:
    """Load the checkpoint at ``path`` into ``state`` (its schedule too), once it is known to be
    this run's (:func:`check_identity`); returns the planned epoch count."""
    saved = checkpoint.load(path)
    record = saved["record"]
    check_identity(path, saved, task, splits, record_path)
    try:
        state.model.load_state_dict(saved["model"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.order.set_state(saved["order"])
        checkpoint.set_rng_states(saved["rng"])
        attach_schedule(state, task.config, saved["epochs_planned"])
        if (state.scheduler is None) != (saved["scheduler"] is None):
            raise ValueError("the checkpoint's schedule is not this run's")
        if state.scheduler is not None:
            state.scheduler.load_state_dict(saved["scheduler"])
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        raise checkpoint.CheckpointError(path, f"its state does not fit this model ({error})") from None
    state.epoch, state.record = saved["epoch"], record
    return saved["epochs_planned"]


def check_identity(path: Path, saved: dict, task: Task, splits: Splits, record_path: Path) -> None:
    """Refuse a checkpoint that another run wrote: it must name this run (investigation, variant,
    model, seed, settings, data, planned epochs), hold as many epochs as it says, and belong to
    the record beside it (the same start, no epoch ahead of it). Resuming anything else would
    record epochs that this run never trained."""
    record = saved["record"]
    wanted = {"investigation": task.investigation, "variant": task.variant.name, "seed": task.seed,
              "config": task.config.as_dict(), "model.params": models.full_params(task.variant),
              "data.images": [len(splits.train_y), len(splits.val_y), len(splits.test_y)],
              "smoke": task.smoke}
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    found = {"investigation": record["investigation"], "variant": record["variant"], "seed": record["seed"],
             "config": record["config"], "model.params": record["model"]["params"],
             "data.images": [data.get(f"{split}_images") for split in ("train", "val", "test")],
             "smoke": records.is_smoke(record)}
    differs = [key for key in wanted if json.dumps(found[key], sort_keys=True) != json.dumps(wanted[key], sort_keys=True)]
    if differs:  # resuming under other settings would record a run that never happened
        shown = {key: found[key] for key in differs}
        raise checkpoint.CheckpointError(path, f"it belongs to another run or configuration ({shown})")
    epoch, planned = saved["epoch"], saved["epochs_planned"]
    if not (isinstance(epoch, int) and isinstance(planned, int) and 0 <= epoch <= planned
            and epoch == len(record["epochs"]["epoch"])
            and (task.config.epochs is None or planned == task.config.epochs)):
        raise checkpoint.CheckpointError(path, f"its epochs do not add up (epoch {epoch!r} of {planned!r}, "
                                         f"{len(record['epochs']['epoch'])} recorded)")
    try:
        beside = records.load_record(record_path)
    except (FileNotFoundError, records.RecordError):
        return  # killed before the first record, or a record cut short: the checkpoint is the truth
    if beside.get("started") != record.get("started") or len(beside["epochs"]["epoch"]) > epoch:
        raise checkpoint.CheckpointError(path, f"it was not written by the run of {record_path.name} (that run "
                                         f"started {beside.get('started')} and recorded {len(beside['epochs']['epoch'])} "
                                         f"epochs; the checkpoint's started {record.get('started')}, at epoch {epoch})")


def record_epoch(state: RunState, path: Path, splits: Splits, config: TrainConfig,
                 train_loss: float, seconds: float, before_write: Callable[[], None] | None = None) -> Evaluation:
    """Validate after an epoch, append it to the record (ending a non-finite run as
    ``diverged``) and write the record, after ``before_write`` (a checkpoint) if given."""
    val = state.problem.evaluate(state.model, splits.part("val"))
    _append_epoch(state.record, state.epoch, train_loss, seconds, val)
    if not math.isfinite(train_loss):
        state.record.update(status="diverged", finished=_now())
    if before_write is not None:
        before_write()
    records.write_record(path, state.record)
    return val


def end_run(state: RunState, path: Path, splits: Splits, config: TrainConfig) -> None:
    """Test a run that is still ``running`` after its last epoch and write it as complete, with
    the final model's predicted class of every validation and test input."""
    if state.record["status"] == "running":
        val = state.problem.evaluate(state.model, splits.part("val"), predictions=True)
        test = state.problem.evaluate(state.model, splits.part("test"), predictions=True)
        dtype = catalogue.PREDICTIONS[state.problem.declared.predicts]
        state.record.update({f"test_{state.problem.metrics[0]}": test.headline}, status="complete", finished=_now(),
                            predictions=records.encode_predictions(val.predictions, test.predictions, dtype))
        records.write_record(path, state.record)


def shown_metric(members: list[Member]) -> str:
    """The headline metric's name the progress bar shows: ``accuracy``, ``mae``."""
    return members[0].state.problem.metrics[0]


def interrupt_run(state: RunState, path: Path) -> None:
    if executor.mark_interrupted(state.record):
        records.write_record(path, state.record)


@dataclass
class Member:
    """One run of the loop: its task, its state, and where its record and checkpoint go."""

    task: Task
    state: RunState
    path: Path  # the record
    saved: Path  # the checkpoint

    @property
    def running(self) -> bool:
        return self.state.record["status"] == "running"


def start(members: list[Member], epochs: int) -> None:
    """Write each fresh run's checkpoint, then its record, once every record is known to be valid:
    a group whose one record is bad writes nothing at all."""
    texts = [records.checked_text(member.path, member.state.record) for member in members]
    for member, text in zip(members, texts):
        save_checkpoint(member.saved, member.state, epochs)  # from here on, a kill costs no timing epoch
        records.write_text(member.path, text)


def run_epochs(members: list[Member], splits: Splits, epochs: int, train_epochs: Callable[[], list[float]],
               desc: str, progress: bool = True, report: Callable[[dict], None] | None = None) -> list[dict]:
    """The one run loop, for one model or a batch: ``train_epochs()`` trains every member one epoch
    and returns their train losses; after it each running member steps its schedule, is
    validated and checkpointed, then has its record written. Ctrl-C marks the running members
    ``interrupted`` (their checkpoints stay, to resume from); at the end each is tested, written as
    complete (or stays diverged) and its checkpoint removed. An epoch's ``seconds`` are the
    epoch's training time shared among the members. ``report`` is given each record once it is
    written, after every epoch and at the end: a cluster worker sends them to its driver."""
    report = report or (lambda record: None)
    bar = tqdm(total=epochs, initial=min(m.state.epoch for m in members), desc=desc, unit="epoch",
               disable=not progress)
    try:
        with bar:
            while any(m.running and m.state.epoch < epochs for m in members):
                begun = time.perf_counter()
                losses = train_epochs()
                seconds = (time.perf_counter() - begun) / len(members)
                shown = None
                for member, loss in zip(members, losses):
                    if not member.running:  # diverged: it may keep stepping with a group, unrecorded
                        continue
                    state = member.state
                    if state.scheduler is not None:  # once per epoch, after it; checkpointed below
                        state.scheduler.step()
                    # Checkpoint first: a kill between the two writes leaves a record one epoch
                    # behind, which the resume rewrites from the checkpoint.
                    shown = record_epoch(state, member.path, splits, member.task.config, loss, seconds,
                                         before_write=functools.partial(save_checkpoint, member.saved, state, epochs))
                    report(state.record)
                if shown is not None:
                    headline = "n/a" if shown.headline is None else f"{shown.headline:.4f}"
                    bar.set_postfix({f"val_{shown_metric(members)}": headline}, train_loss=f"{min(losses):.4f}", refresh=False)
                bar.update()
    except KeyboardInterrupt:
        for member in members:
            if member.running:
                interrupt_run(member.state, member.path)
        raise
    for member in members:
        end_run(member.state, member.path, splits, member.task.config)
        report(member.state.record)
        checkpoint.remove(member.saved)  # complete or diverged: the record is all there is to keep
    return [member.state.record for member in members]


def train(task: Task, splits: Splits, device: torch.device, runs_dir: Path | str, progress: bool = True,
          resume: bool = True, fast: bool = True, cuda_graphs: bool = False,
          report: Callable[[dict], None] | None = None, log: Callable[[str], None] | None = None,
          trained_by: dict = executor.LOCAL) -> dict:
    """Train ``task`` on ``splits`` and return its record, written to ``runs_dir`` after every epoch.

    Without ``task.config.epochs``, one timed epoch sets the epoch count (``floor(budget / epoch
    seconds)``) and the model is then re-initialised with the same seed. An epoch's ``seconds``
    are its training time; evaluation is not included. A non-finite train loss ends the run as
    ``diverged``.

    A checkpoint is written before the record at the start and after every epoch; with
    ``resume``, an existing checkpoint continues the run from its last completed epoch, and the
    run ends with the record an uninterrupted run would have written (timings aside).
    ``fast=False`` trains with autograd's step where the hand-written one would apply; the
    record is the same. ``cuda_graphs`` replays each step as a CUDA graph on a CUDA device.
    ``report`` is given the record each time it is written (see :func:`run_epochs`). A resume
    is said through ``log`` (default: above the progress bar) and added to the record's
    ``resumed`` list. ``trained_by``: the executor's description, for a fresh record.
    """
    config = task.config
    path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
    saved = checkpoint.checkpoint_path(path)
    if resume and saved.exists():
        state = init_state(task, device, fast, cuda_graphs)
        epochs = _resume(saved, state, task, splits, path)
        state.record.setdefault("engine", state.engine)  # a checkpoint written before records named their engine
        # Said every time, and kept in the record: a resumed run's epochs came from more than one process.
        state.record["resumed"] = [*state.record.get("resumed", []), {"epoch": state.epoch, "at": _now()}]
        (log or tqdm.write)(f"resuming {task.variant.name} seed {task.seed} from epoch {state.epoch} of {epochs}")
        records.write_record(path, state.record)
        member = Member(task, state, path, saved)
    else:
        timed_epoch_s, epochs = plan_epochs(task, splits, device, progress)
        state = init_state(task, device, fast, cuda_graphs)
        attach_schedule(state, config, epochs)
        step = measure_flops(state.model, splits, config)
        state.record = new_record(task, splits, state, step, timed_epoch_s, epochs, device, trained_by)
        member = Member(task, state, path, saved)
        start([member], epochs)
    return run_epochs([member], splits, epochs, lambda: [train_epoch(state, splits, config)],
                      f"{task.variant.name} seed {task.seed}", progress, report)[0]
