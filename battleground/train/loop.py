"""Train one task (a variant and a seed) and write its run record after every epoch.

The loop is built for speed: the data already lives on the device (``battleground.train.data``), each
epoch's order is a permutation drawn on the device, batches are index lookups, and the only host
syncs are one per epoch for the train loss and a few for evaluation.

Everything a run mutates lives in one :class:`RunState`, so checkpointing it is enough to
resume a run exactly.
"""

from __future__ import annotations

import copy
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

from battleground.train import checkpoint, cuda_graph, engines, flops, mlp_epoch, models, provenance
from battleground.core import records
from battleground.core.config import TrainConfig
from battleground.train.data import Splits
from battleground.core.spec import Task

EVAL_BATCH = 2_000  # large batches: evaluating 8,000 images takes 4 forward passes
OPTIMIZERS = {"SGD": torch.optim.SGD}  # PyTorch defaults besides the learning rate
LOSSES = {"cross_entropy": F.cross_entropy}


@dataclass
class RunState:
    """All mutable state of a run: checkpoint this and the run resumes where it stopped."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    order: torch.Generator  # draws each epoch's batch order, on the training device
    step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # one SGD step on a batch -> its loss
    engine: str = engines.autograd.name  # the engine that trains it (battleground.train.engines)
    whole_epoch: mlp_epoch.ScriptedEpoch | None = None  # the step's loop in TorchScript, where it applies
    cuda_graphs: bool = False  # replay the step as a CUDA graph (battleground.train.cuda_graph)
    graphed: dict = field(default_factory=dict)  # (id of the training images, lr) -> captured epoch
    epoch: int = 0  # epochs completed
    record: dict = field(default_factory=dict)  # the run record so far


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    prediction_counts: list[int]  # how often each class was predicted


def _lookup(table: dict, name: str, what: str):
    if name not in table:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(table)}")
    return table[name]


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    return _lookup(OPTIMIZERS, config.optimizer, "optimizer")(model.parameters(), lr=config.lr)


def make_step(model: nn.Module, optimizer: torch.optim.Optimizer, config: TrainConfig,
              fast: bool = True) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The training step of the engine :func:`engines.select` picks for ``model`` on its device
    (autograd's unless ``fast``): the hand-written step where it supports the model, bit for bit
    autograd's (``battleground.train.hand_step``)."""
    device = next(model.parameters()).device
    return _build(engines.select(model, config, device, fast), model, optimizer, config).step


def _build(engine, model: nn.Module, optimizer: torch.optim.Optimizer, config: TrainConfig) -> engines.Trainer:
    return engine.build(model, optimizer, config, _lookup(LOSSES, config.loss, "loss"))


def place(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` on ``device``; a conv net on a CPU in channels-last layout, where oneDNN's
    convolution backward runs faster (most of all for LeNet5's one-channel first layer; a
    LeNet5 step took ~1.4x less time in it on 2 cores, see ``battleground bench``)."""
    model = model.to(device)
    convolutional = any(isinstance(layer, nn.Conv2d) for layer in model.modules())
    return model.to(memory_format=torch.channels_last) if device.type == "cpu" and convolutional else model


def init_state(task: Task, device: torch.device, fast: bool = True, cuda_graphs: bool = False) -> RunState:
    """A fresh model, optimizer, training step and order generator, all seeded from ``task.seed``;
    the step is the fastest engine's that supports the run (:func:`engines.select`; autograd's
    unless ``fast``): on a CPU an MLP's epochs in TorchScript, else the hand-written step where it
    applies. With ``cuda_graphs`` on a CUDA device, the step is replayed as a CUDA graph."""
    torch.manual_seed(task.seed)  # the weight initialisation
    model = place(models.build(task.variant), device)
    optimizer = make_optimizer(model, task.config)
    order = torch.Generator(device=device).manual_seed(task.seed)
    engine = engines.select(model, task.config, device, fast, graphs=cuda_graphs)
    trainer = _build(engine, model, optimizer, task.config)
    return RunState(model=model, optimizer=optimizer, order=order, step=trainer.step, engine=engine.name,
                    whole_epoch=trainer.whole_epoch, cuda_graphs=trainer.cuda_graphs)


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn, x, y) -> torch.Tensor:
    """One SGD step on a batch; returns the batch's mean loss as a device tensor (no host sync)."""
    optimizer.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


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
    for start in range(eager_from, n, size):
        batch = order[start : start + size]
        loss = state.step(splits.train_x.index_select(0, batch), splits.train_y.index_select(0, batch))
        total += loss * len(batch)
    state.epoch += 1
    return (total / n).item()  # the epoch's one host sync


def _graphed_epoch(state: RunState, splits: Splits, size: int) -> cuda_graph.GraphedEpoch | None:
    """The run's captured step on these training images, captured on first use."""
    if not state.cuda_graphs or len(splits.train_y) < size:
        return None
    # A graph reads the very tensors it was captured with, and replays the rate it was captured
    # with: a schedule's new rate takes a new capture (only the latest is kept).
    key = (id(splits.train_x), state.optimizer.param_groups[0]["lr"])
    if key not in state.graphed:
        state.graphed = {key: cuda_graph.capture(state.model, state.step, splits.train_x, splits.train_y, size)}
    return state.graphed[key]


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, config: TrainConfig) -> Evaluation:
    """Mean loss, accuracy and predicted-class counts over all of ``x``, in a few large batches."""
    loss_fn = _lookup(LOSSES, config.loss, "loss")
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    counts = torch.zeros(models.CLASSES, dtype=torch.long, device=x.device)
    correct = torch.zeros((), dtype=torch.long, device=x.device)
    for start in range(0, len(y), EVAL_BATCH):
        logits = model(x[start : start + EVAL_BATCH])
        targets = y[start : start + EVAL_BATCH]
        loss_sum += loss_fn(logits, targets, reduction="sum")
        predictions = logits.argmax(dim=1)
        correct += (predictions == targets).sum()
        counts += torch.bincount(predictions, minlength=models.CLASSES)
    return Evaluation(loss_sum.item() / len(y), correct.item() / len(y), counts.tolist())


def measure_flops(model: nn.Module, splits: Splits, config: TrainConfig) -> flops.StepFlops:
    """FLOPs of one training step, measured on a copy so the run's model, optimizer and RNG
    stay untouched."""
    twin = copy.deepcopy(model)
    optimizer, loss_fn = make_optimizer(twin, config), _lookup(LOSSES, config.loss, "loss")
    x, y = splits.train_x[: config.batch_size], splits.train_y[: config.batch_size]
    with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
        return flops.step_flops(lambda: training_step(twin, optimizer, loss_fn, x, y), forward=lambda: twin(x))


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
    return timed_epoch_s, epochs_in_budget(config.budget_s, timed_epoch_s)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_record(task: Task, splits: Splits, state: RunState, step: flops.StepFlops,
               timed_epoch_s: float | None, epochs_planned: int, device: torch.device) -> dict:
    """The record of a run that has not finished an epoch yet."""
    n_train = len(splits.train_y)
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
        },
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
        "environment": provenance.environment(device),
        "started": _now(),
        "finished": None,
        "epochs": {name: [] for name in records.EPOCH_COLUMNS},
        "val_prediction_counts": None,
        "test_accuracy": None,
    }


def _append_epoch(record: dict, epoch: int, train_loss: float, seconds: float, val: Evaluation) -> None:
    flops_per_epoch = record["flops"]["steps_per_epoch"] * record["flops"]["per_step_profiler"]
    row = {
        "epoch": epoch,
        "train_loss": train_loss,
        "val_loss": val.loss,
        "val_accuracy": val.accuracy,
        "seconds": seconds,
        # The profiler's count, as the published battleground; scale by
        # flops.per_step_complete / per_step_profiler for the complete count.
        "cumulative_flops": epoch * flops_per_epoch,
    }
    for name in records.EPOCH_COLUMNS:
        record["epochs"][name].append(row[name])
    record["val_prediction_counts"] = val.prediction_counts


def save_checkpoint(path: Path, state: RunState, epochs_planned: int) -> None:
    """Write ``state`` to the checkpoint at ``path``, from which :func:`train` resumes the run."""
    checkpoint.save(path, model=state.model, optimizer=state.optimizer, order=state.order,
                    epoch=state.epoch, epochs_planned=epochs_planned, record=state.record)


def _resume(path: Path, state: RunState, task: Task) -> int:
    """Load the checkpoint at ``path`` into ``state``; returns the planned epoch count."""
    saved = checkpoint.load(path)
    record = saved["record"]
    wanted = {"variant": task.variant.name, "seed": task.seed, "config": task.config.as_dict()}
    found = {key: record[key] for key in wanted}
    if found != wanted:  # resuming under other settings would record a run that never happened
        raise checkpoint.CheckpointError(path, f"it belongs to another run or configuration ({found})")
    try:
        state.model.load_state_dict(saved["model"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.order.set_state(saved["order"])
        checkpoint.set_rng_states(saved["rng"])
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        raise checkpoint.CheckpointError(path, f"its state does not fit this model ({error})") from None
    state.epoch, state.record = saved["epoch"], record
    return saved["epochs_planned"]


def record_epoch(state: RunState, path: Path, splits: Splits, config: TrainConfig,
                 train_loss: float, seconds: float, before_write: Callable[[], None] | None = None) -> Evaluation:
    """Validate after an epoch, append it to the record (ending a non-finite run as
    ``diverged``) and write the record, after ``before_write`` (a checkpoint) if given."""
    val = evaluate(state.model, splits.val_x, splits.val_y, config)
    _append_epoch(state.record, state.epoch, train_loss, seconds, val)
    if not math.isfinite(train_loss):
        state.record.update(status="diverged", finished=_now())
    if before_write is not None:
        before_write()
    records.write_record(path, state.record)
    return val


def end_run(state: RunState, path: Path, splits: Splits, config: TrainConfig) -> None:
    """Test a run that is still ``running`` after its last epoch and write it as complete."""
    if state.record["status"] == "running":
        test = evaluate(state.model, splits.test_x, splits.test_y, config)
        state.record.update(status="complete", test_accuracy=test.accuracy, finished=_now())
        records.write_record(path, state.record)


def interrupt_run(state: RunState, path: Path) -> None:
    state.record.update(status="interrupted", finished=_now())
    records.write_record(path, state.record)


def train(task: Task, splits: Splits, device: torch.device, runs_dir: Path | str, progress: bool = True,
          resume: bool = True, fast: bool = True, cuda_graphs: bool = False) -> dict:
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
    """
    config = task.config
    path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
    saved = checkpoint.checkpoint_path(path)
    if resume and saved.exists():
        state = init_state(task, device, fast, cuda_graphs)
        epochs = _resume(saved, state, task)
        state.record.setdefault("engine", state.engine)  # a checkpoint written before records named their engine
        if progress:
            tqdm.write(f"{task.variant.name} seed {task.seed}: resuming after epoch {state.epoch} of {epochs}")
    else:
        timed_epoch_s, epochs = plan_epochs(task, splits, device, progress)
        state = init_state(task, device, fast, cuda_graphs)
        step = measure_flops(state.model, splits, config)
        state.record = new_record(task, splits, state, step, timed_epoch_s, epochs, device)
        save_checkpoint(saved, state, epochs)  # from here on, a kill does not cost the timing epoch
    records.write_record(path, state.record)

    bar = tqdm(total=epochs, initial=state.epoch, desc=f"{task.variant.name} seed {task.seed}", unit="epoch",
               disable=not progress)
    try:
        with bar:
            while state.epoch < epochs and state.record["status"] == "running":
                start = time.perf_counter()
                train_loss = train_epoch(state, splits, config)
                seconds = time.perf_counter() - start
                # Checkpoint first: a kill between the two writes leaves a record one epoch
                # behind, which the resume rewrites from the checkpoint.
                val = record_epoch(state, path, splits, config, train_loss, seconds,
                                   before_write=lambda: save_checkpoint(saved, state, epochs))
                bar.set_postfix(val_acc=f"{val.accuracy:.4f}", train_loss=f"{train_loss:.4f}", refresh=False)
                bar.update()
    except KeyboardInterrupt:
        interrupt_run(state, path)  # the checkpoint stays: the run resumes from it
        raise
    end_run(state, path, splits, config)
    checkpoint.remove(saved)  # complete or diverged: the record is all there is to keep
    return state.record
