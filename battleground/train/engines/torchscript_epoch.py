"""The TorchScript epoch (:mod:`battleground.train.mlp_epoch`): a whole epoch of the hand-written
step as one call, bit for bit autograd's weights. For MLPs on a CPU: a chain of ``Flatten``,
then linear layers, each followed by at most one parameter-free activation (identities aside).
The partial last batch and :mod:`battleground.train.bench`'s Python loop use the hand-written step."""

from __future__ import annotations

import torch
from torch import nn

from battleground.train import hand_step as kernels
from battleground.train import mlp_epoch
from battleground.train.engines import chain, common, hand_step
from battleground.train.engines.common import Trainer

name = "torchscript-epoch"


def supports(model: nn.Module, config, device: torch.device) -> str | None:
    if device.type != "cpu":
        return f"the TorchScript epoch runs on a CPU only (on {device.type}, CUDA graphs serve)"
    reason = hand_step.supports(model, config, device)
    if reason is not None:
        return reason
    layers = [(label, layer) for label, layer in chain.layers(model) if not isinstance(layer, nn.Identity)]
    mlp = "the TorchScript epoch trains MLPs only (Flatten, then linear layers, each followed by " \
          "at most one parameter-free activation)"
    if not layers or not isinstance(layers[0][1], nn.Flatten):
        return f"{mlp}; this one does not start with Flatten"
    previous = nn.Flatten
    for label, layer in layers[1:]:
        if not (type(layer) is nn.Linear or (kernels.activation(layer) is not None and previous is nn.Linear)):
            return f"{mlp}; {label} ({type(layer).__name__}) is not one of them"
        previous = type(layer)
    if previous is nn.Flatten:
        return f"{mlp}; this one has no linear layer"
    if mlp_epoch.compiled() is None:
        return "this PyTorch cannot compile the TorchScript epoch"
    return None


def build(model: nn.Module, optimizer: torch.optim.Optimizer, config, loss_fn) -> Trainer:
    common.check_optimizer(optimizer)
    layers = [layer for _, layer in chain.layers(model)]
    return Trainer(step=kernels.HandStep(layers, optimizer), whole_epoch=mlp_epoch.ScriptedEpoch(layers, optimizer))
