"""What every fast engine asks of a run: plain SGD on cross-entropy, on the default problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from battleground.core.config import DEFAULTS, TrainConfig
from battleground.train.engines import chain

PLAIN_SGD_ZERO = ("momentum", "dampening", "weight_decay")  # an optimizer group's settings a fast engine leaves out


def plain_sgd(config: TrainConfig) -> str | None:
    """None if ``config`` trains with plain SGD (PyTorch defaults) on cross-entropy and the
    default problem, else the reason a fast engine cannot train it."""
    if config.optimizer != "SGD":
        return f"steps plain SGD only; this run's optimizer is {config.optimizer}"
    for name in ("momentum", "weight_decay"):  # the config's SGD settings; PyTorch's defaults else
        if getattr(config, name) not in (0, None):
            return f"steps plain SGD only; this run's {name} is {getattr(config, name)}"
    if config.loss != "cross_entropy":
        return f"trains cross-entropy only; this run's loss is {config.loss}"
    if config.problem != DEFAULTS.problem:
        return f"trains the default problem ({DEFAULTS.problem}) only; this run's is {config.problem}"
    return None


def plain_sgd_chain(model, config, engine: str) -> tuple[list | None, str | None]:
    """``(layers, None)`` where ``config`` is plain SGD and ``model`` a proven chain
    (:func:`chain.layers`), else ``(None, why not)`` in ``engine``'s words."""
    reason = plain_sgd(config)
    if reason is not None:
        return None, f"{engine} {reason}"
    try:
        return chain.layers(model), None
    except chain.NotAChain as error:
        return None, str(error)


def check_optimizer(optimizer: torch.optim.Optimizer) -> None:
    """Raise ValueError unless ``optimizer`` is what :func:`plain_sgd` promised: one group of
    plain SGD, whose learning rate the engine reads at every step (or epoch)."""
    if type(optimizer) is not torch.optim.SGD or len(optimizer.param_groups) != 1:
        raise ValueError(f"a fast engine needs torch.optim.SGD with one parameter group; got {optimizer!r}")
    group = optimizer.param_groups[0]
    if any(group.get(name, 0) for name in PLAIN_SGD_ZERO) or group.get("nesterov") or group.get("maximize"):
        raise ValueError(f"a fast engine steps plain SGD; got {optimizer!r}")


@dataclass(frozen=True)
class Trainer:
    """What an engine builds for one model: ``step(x, y)`` trains on one batch and returns its
    mean loss (a device tensor); ``whole_epoch(images, labels, order, batch_size)``, where set,
    trains a whole epoch in one call and returns the summed loss; ``cuda_graphs``: the run loop
    replays ``step`` as a CUDA graph (:func:`battleground.train.engines.cuda_graphs.capture`)."""

    step: Callable[[Tensor, Tensor], Tensor]
    whole_epoch: Callable[[Tensor, Tensor, Tensor, int], Tensor] | None = None
    cuda_graphs: bool = False
