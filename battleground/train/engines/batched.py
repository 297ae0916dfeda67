"""Batched (:mod:`battleground.train.batched`): K same-shape models as one stacked model, one
batched step for all, each model to float rounding of itself trained alone (not bit for bit).
For groups of tasks, not one model; worth it on CUDA, where one small model leaves the GPU idle.

It supports a chain (:mod:`.chain`) of 2-D convolutions (with a bias, one group, zero padding),
pooling and parameter-free activations, then one ``Flatten``, then linear layers (with a bias) and
parameter-free activations: convolutions run as one grouped convolution over all K models'
channels and linear layers as batched matrix products, which holds only for these layers."""

from __future__ import annotations

import torch
from torch import nn

from battleground.train import hand_step as kernels
from battleground.train.engines import common

name = "batched"
POOLING = (nn.AvgPool2d, nn.MaxPool2d)  # per channel: any model's channels stay its own


def _layer_reason(label: str, layer: nn.Module, flat: bool) -> str | None:
    kind = f"{label} ({type(layer).__name__})"
    weightless = isinstance(layer, nn.Identity) or kernels.activation(layer) is not None
    if isinstance(layer, nn.Conv2d) and not flat:
        if layer.bias is None or layer.groups != 1 or layer.padding_mode != "zeros" or isinstance(layer.padding, str):
            return f"batched training takes 2-D convolutions with a bias, one group and numeric zero padding; {kind} is other"
        return None
    if isinstance(layer, nn.Linear) and flat:
        return None if layer.bias is not None else f"batched training takes linear layers with a bias; {kind} has none"
    if weightless or (isinstance(layer, POOLING) and not flat):
        return None
    where = "after" if flat else "before"
    return f"batched training does not know layer {kind} {where} the Flatten"


def supports(model: nn.Module, config, device: torch.device) -> str | None:
    layers, reason = common.plain_sgd_chain(model, config, "batched training")
    if reason is not None:
        return reason
    flattens = [layer for _, layer in layers if isinstance(layer, nn.Flatten)]
    if len(flattens) != 1 or (flattens[0].start_dim, flattens[0].end_dim) != (1, -1):
        return "batched training needs exactly one Flatten of all but the batch dimension"
    flat = False
    for label, layer in layers:
        if isinstance(layer, nn.Flatten):
            flat = True
            continue
        reason = _layer_reason(label, layer, flat)
        if reason is not None:
            return reason
    frozen = [label for label, p in model.named_parameters() if not p.requires_grad]
    return f"batched training trains every parameter; {frozen[0]} is frozen" if frozen else None


def worth_it(device: torch.device) -> bool:
    """Whether to train a group batched rather than one by one: on CUDA, where one small model
    leaves the GPU idle. On a CPU the arithmetic already fills the cores, the single-model engines
    no longer pay the per-step overhead batching saves (``battleground bench``: four batched
    SimpleNet2s at ~0.7x the TorchScript epochs), and a model trained alone keeps autograd's
    exact weights."""
    return device.type == "cuda"
