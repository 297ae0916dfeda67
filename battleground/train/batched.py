"""Train K same-shape tasks (one model and config; different seeds or learning rates) as one
batched model.

Small models leave the hardware idle between Python-level steps; stacking K models' weights and
running one batched step per batch pays that per-step overhead once for all K. Each model
stays what it would be alone:

- its weights come from ``loop.init_state`` with its own seed (the single path's initialisation);
- its data order comes from its own generator, one ``randperm`` per epoch, as ``loop.train_epoch``;
- its loss is its own batch mean, and the summed loss's gradient with respect to a model's slice
  of the stacked weights is that model's own gradient (the models share nothing);
- the optimizer works element-wise (SGD with PyTorch defaults: ``p -= lr * grad``), so stepping
  model k's slice of the stacked weights with its own learning rate steps it as its own
  optimizer would; a learning-rate sweep costs what a seed band does. Each rate is read from
  the model's own optimizer at the start of every epoch, where a schedule may have set it.

Which models it can batch is :mod:`battleground.train.engines.batched`'s to say.

Only the arithmetic order inside the batched matrix products, and the rounding of the update,
differ from the single path, so a batched model agrees with its single twin to float rounding,
not bit for bit (tests pin how closely). Each model keeps its own run record, written after every epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import stack_module_state

from battleground.train import checkpoint, models, loop, problems
from battleground.train.engines import batched as engine, chain
from battleground.core import records
from battleground.core.config import SETTINGS, TrainConfig
from battleground.train.data import Splits
from battleground.core.spec import Task


PER_MODEL = ("lr",)  # the training settings in which the models of one batch may differ


def shape(task: Task) -> tuple:
    """What tasks must share to train as one batch: the model (family and parameters) and every
    training setting but those of :data:`PER_MODEL`. Seeds, and so data orders, may differ, except
    where the seed draws the data itself (digit pairs with ``pairs`` set): there each seed is its
    own shape."""
    shared = tuple((key, getattr(task.config, key)) for key in SETTINGS if key not in PER_MODEL)
    own_data = (task.seed,) if problems.for_config(task.config).per_seed else ()
    return task.variant.family, tuple(sorted(task.variant.model_kwargs.items())), shared, own_data


def convolutional(model: nn.Module) -> bool:
    return any(isinstance(layer, nn.Conv2d) for _, layer in models.layers_in_order(model))


class StackedModels:
    """K models of one shape as stacked weights, trained together one batch at a time.

    The forward pass is written out per layer type rather than through ``torch.func.vmap``:
    vmap's per-call overhead cost more than it saved for these small models on a CPU, and it
    turned convolutions into a slow path. Convolutions run as one grouped convolution (model k's
    channels are group k) on a ``(B, K*C, H, W)`` tensor; after ``Flatten`` the activations are
    ``(K, B, features)`` and linear layers are batched matrix products (``baddbmm``).

    ``config`` holds what the models share (batch size, loss, optimizer); each model steps with
    its own learning rate, the one its own optimizer (``loop.init_state``) holds when an epoch starts.
    """

    def __init__(self, states: list[loop.RunState], config: TrainConfig):
        self.states, self.config = states, config
        nets = [state.model for state in states]
        reason = engine.supports(nets[0], config, next(nets[0].parameters()).device)
        if reason is not None:
            raise ValueError(f"cannot batch {type(nets[0]).__name__}: {reason}")
        self.params, _ = stack_module_state(nets)  # leaves with a leading K dim; no buffers here
        self.layers = chain.layers(nets[0])
        self.rates: list[float] = []
        self.minus_lr: list[torch.Tensor] = []

    def _read_rates(self) -> None:
        """Each model's current learning rate, from its own optimizer."""
        rates = [state.optimizer.param_groups[0]["lr"] for state in self.states]
        if rates == self.rates:
            return
        self.rates = rates
        # Plain SGD written out (p -= lr_k * grad_k) rather than torch.optim.SGD, which takes one
        # lr per parameter group while each stacked tensor holds all K models; one update serves
        # equal and different lrs alike. Each weight gets a tensor of its own shape holding -lr_k
        # in model k's slice, so that the update is one fused multi-tensor kernel on CUDA, as
        # torch.optim.SGD's own foreach step is (broadcasting would take the per-tensor path).
        lrs = torch.tensor(rates, dtype=torch.float64)
        self.minus_lr = [(-lrs).to(p).view(-1, *[1] * (p.dim() - 1)).expand_as(p).contiguous()
                         for p in self.params.values()]

    @torch.no_grad()
    def step(self) -> None:
        """One SGD step of every model with its own learning rate, from the gradients of the last backward."""
        params = list(self.params.values())
        torch._foreach_addcmul_(params, [p.grad for p in params], self.minus_lr)
        for p in params:
            p.grad = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(K, B, classes)`` of model k on its own images ``x[k]`` (``x``: ``(K, B, C, H, W)``)."""
        k, b = x.shape[:2]
        h = x.transpose(0, 1).reshape(b, -1, *x.shape[3:])  # (B, K*C, H, W)
        for name, layer in self.layers:
            if isinstance(layer, nn.Conv2d):
                weight = self.params[f"{name}.weight"]
                h = F.conv2d(h, weight.flatten(0, 1), self.params[f"{name}.bias"].flatten(),
                             layer.stride, layer.padding, layer.dilation, groups=k)
            elif isinstance(layer, nn.Flatten):
                h = h.reshape(b, k, -1).transpose(0, 1)  # (K, B, features)
            elif isinstance(layer, nn.Linear):
                weight, bias = self.params[f"{name}.weight"], self.params[f"{name}.bias"]
                h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
            else:  # weightless and element-wise or per channel: any layout will do
                h = layer(h)
        return h

    def losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Each model's mean loss on its own batch: ``(K,)``."""
        logits = self.forward(x)
        per_image = loop.LOSSES[self.config.loss](logits.flatten(0, 1), y.flatten(), reduction="none")
        return per_image.view(y.shape).mean(dim=1)

    def train_epoch(self, splits: Splits) -> list[float]:
        """One epoch of every model, each in its own fresh order; returns each mean train loss."""
        device, n, size = splits.train_y.device, len(splits.train_y), self.config.batch_size
        self._read_rates()
        orders = torch.stack([torch.randperm(n, generator=s.order, device=device) for s in self.states])
        total = torch.zeros(len(self.states), device=device)
        for start in range(0, n, size):
            batch = orders[:, start : start + size]  # (K, B): each model's own images
            losses = self.losses(splits.train_x[batch], splits.train_y[batch])
            losses.sum().backward()
            self.step()
            total += losses.detach() * batch.shape[1]
        for state in self.states:
            state.epoch += 1
        return (total / n).tolist()  # the epoch's one host sync

    @torch.no_grad()
    def copy_to_models(self) -> None:
        """Write the stacked weights back into each state's model, for evaluation."""
        for k, state in enumerate(self.states):
            for name, tensor in state.model.named_parameters():
                tensor.copy_(self.params[name][k])


def _check_same_shape(tasks: list[Task]) -> None:
    """Tasks that :func:`shape` says may train together, each run once; else a clear error."""
    first = tasks[0]
    runs = [(t.investigation, t.variant.name, t.seed) for t in tasks]
    if len(set(runs)) < len(runs):
        raise ValueError(f"batched training needs each run once; got {runs}")
    for task in tasks[1:]:
        if shape(task)[:2] != shape(first)[:2]:
            raise ValueError(f"batched training needs one model; got {first.variant.name} and {task.variant.name}")
        if shape(task) != shape(first):
            differ = [f"{key} ({getattr(first.config, key)!r} and {getattr(task.config, key)!r})"
                      for key, value in shape(first)[2] if getattr(task.config, key) != value]
            raise ValueError(f"batched training needs one config but for {', '.join(PER_MODEL)}; "
                             f"{first.variant.name} and {task.variant.name} differ in {', '.join(differ)}")


def train_group(tasks: list[Task], splits: Splits, device: torch.device, runs_dir: Path | str,
                progress: bool = True, report: Callable[[dict], None] | None = None) -> list[dict]:
    """Train same-shape ``tasks`` (see :func:`shape`) together; return their records, each written
    after every epoch with its own task's config (its own ``lr``).

    The epoch count follows the single path's rule: a fixed ``config.epochs``, else one timed
    epoch of one model *alone*, so batching changes how fast a sweep finishes, not how many
    epochs a variant's budget buys. An epoch's ``seconds`` is the group's epoch time divided by
    K (each model's share); the record says how many models shared it in ``batched_models``.

    Each model gets its own checkpoint, as a run trained alone does, written at the start and
    after every epoch before its record: an interrupted group resumes model by model through
    :func:`battleground.train.loop.train` (``battleground run`` again), from its last completed epoch.
    A model that resumes alone continues to float rounding of the batched course, not bit for bit.
    """
    _check_same_shape(tasks)
    config = tasks[0].config
    timed_epoch_s, epochs = loop.plan_epochs(tasks[0], splits, device, progress)  # as if alone
    states = [loop.init_state(task, device) for task in tasks]
    step = loop.measure_flops(states[0].model, splits, config)  # one shape: one count for all
    members = []
    for task, state in zip(tasks, states):
        loop.attach_schedule(state, task.config, epochs)
        state.record = loop.new_record(task, splits, state, step, timed_epoch_s, epochs, device)
        state.record.update(engine=engine.name, batched_models=len(tasks))
        path = records.record_path(runs_dir, task.investigation, task.variant.name, task.seed)
        members.append(loop.Member(task, state, path, checkpoint.checkpoint_path(path)))
    loop.start(members, epochs)  # every record validated before any is written

    stacked = StackedModels(states, config)

    def train_epochs() -> list[float]:
        losses = stacked.train_epoch(splits)
        stacked.copy_to_models()
        return losses

    names = " ".join(dict.fromkeys(t.variant.name for t in tasks))
    seeds = ",".join(dict.fromkeys(str(t.seed) for t in tasks))
    return loop.run_epochs(members, splits, epochs, train_epochs, f"{names} seeds {seeds}", progress, report)
