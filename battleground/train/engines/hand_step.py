"""The hand-written step (:mod:`battleground.train.hand_step`): autograd's own kernels without
autograd's bookkeeping, the same weights bit for bit. For a float32 chain (:mod:`.chain`) of
layers it knows: linear layers on flattened images, 2-D convolutions and average pooling
before the flattening, parameter-free activations and PReLU with one slope."""

from __future__ import annotations

import torch
from torch import nn

from battleground.train import hand_step as kernels
from battleground.train.engines import chain, common
from battleground.train.engines.common import Trainer

name = "hand-step"


def _default_flatten(layer: nn.Module) -> bool:
    return isinstance(layer, nn.Flatten) and layer.start_dim == 1 and layer.end_dim == -1


def layer_reason(layers: list[tuple[str, nn.Module]]) -> str | None:
    """None if the step knows every layer of the chain ``layers`` where it stands, else why not."""
    flat = False  # after a Flatten: 2-D activations
    for label, layer in layers:
        kind = f"{label} ({type(layer).__name__})"
        if not kernels.known(layer):
            return f"the hand-written step does not know layer {kind}"
        if isinstance(layer, nn.Flatten):
            if not _default_flatten(layer):
                return f"the hand-written step flattens all but the batch dimension only; {kind} does not"
            flat = True
        elif isinstance(layer, nn.Linear) and not flat:
            return f"the hand-written step takes linear layers after a Flatten only; {kind} comes before"
        elif isinstance(layer, nn.Linear) and layer.bias is None:
            return f"the hand-written step takes linear layers with a bias only; {kind} has none"
        elif isinstance(layer, (nn.Conv2d, nn.AvgPool2d)) and flat:
            return f"the hand-written step takes {type(layer).__name__} before a Flatten only; {kind} comes after"
    return None


def supports(model: nn.Module, config, device: torch.device) -> str | None:
    layers, reason = common.plain_sgd_chain(model, config, "the hand-written step")
    if reason is not None:
        return reason
    reason = layer_reason(layers)
    if reason is not None:
        return reason
    for label, parameter in model.named_parameters():
        if parameter.dtype != torch.float32:
            return f"the hand-written step trains float32 only; {label} is {parameter.dtype}"
        if not parameter.requires_grad:
            return f"the hand-written step trains every parameter; {label} is frozen"
    return None


def build(model: nn.Module, optimizer: torch.optim.Optimizer, config, loss_fn) -> Trainer:
    common.check_optimizer(optimizer)
    return Trainer(step=kernels.HandStep([layer for _, layer in chain.layers(model)], optimizer))
