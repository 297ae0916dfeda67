"""Batched training: K same-shape models (one model and config; different seeds or learning rates)
as one stacked model, one batched step for all. Worth it on CUDA, where one small model leaves the
GPU idle.

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

It supports a chain (:mod:`.chain`) of 2-D convolutions (with a bias, one group, zero padding),
pooling and parameter-free activations, then one ``Flatten``, then linear layers (with a bias) and
parameter-free activations: convolutions run as one grouped convolution over all K models'
channels and linear layers as batched matrix products, which holds only for these layers.

Only the arithmetic order inside the batched matrix products, and the rounding of the update,
differ from the single path, so a batched model agrees with its single twin to float rounding,
not bit for bit (tests pin how closely). :mod:`battleground.train.group` trains such a group
through the run loop, each model with its own run record.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import stack_module_state

from battleground.core.config import TrainConfig
from battleground.train.engines import chain, common, hand_step as kernels

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
    no longer pay the per-step overhead batching saves (``battleground bench``'s ``batched``
    contender against its ``trainer`` measures it), and a model trained alone keeps autograd's
    exact weights."""
    return device.type == "cuda"


def convolutional(model: nn.Module) -> bool:
    return any(isinstance(layer, nn.Conv2d) for layer in model.modules())


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

    def __init__(self, states: list, config: TrainConfig):  # battleground.train.loop.RunState each
        self.states, self.config = states, config
        nets = [state.model for state in states]
        reason = supports(nets[0], config, next(nets[0].parameters()).device)
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
        per_image = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")  # plain_sgd: the only loss
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
