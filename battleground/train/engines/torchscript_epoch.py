"""The TorchScript epoch: a whole epoch of the hand-written MLP step in TorchScript, so the
per-step Python goes too.

With autograd's bookkeeping gone (:mod:`battleground.train.engines.hand_step`), what is left of a SimpleNet2
step on a CPU besides arithmetic is Python: some twenty ATen calls a step, each parsed from
Python arguments, plus the loop around them. :func:`sgd_epoch` is the same loop, the same ATen
calls in the same order with the same arguments, compiled once by TorchScript, so an epoch is
one call from Python (``battleground bench`` measures what that buys: its ``trainer`` against its
``python_loop`` contender).

Same calls, same kernels: the weights and the loss are those of the Python step and of autograd,
bit for bit (``tests/test_fast_step.py``). One TorchScript habit would break that: its graph
executor rewrites ``addmm`` with constant ``beta=1`` into ``mm`` plus ``add``, which rounds
differently, so ``beta`` comes in as an argument, which it cannot rewrite.

Only for models of linear layers and parameter-free activations; PReLU (a learned slope) and
anything else keep the Python step. CPU only: on CUDA a step is kernel launches, which CUDA
graphs (:mod:`battleground.train.engines.cuda_graphs`) are for, and TorchScript might fuse element-wise
kernels there, which would round differently.

As an engine (:mod:`battleground.train.engines`): for MLPs on a CPU, a chain of ``Flatten``, then
linear layers, each followed by at most one parameter-free activation (identities aside). The
partial last batch and :mod:`battleground.train.bench`'s Python loop use the hand-written step.
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable, List, Tuple

import torch
from torch import Tensor, nn

from battleground.train.engines import chain, common, hand_step
from battleground.train.engines.common import Trainer
from battleground.train.engines.hand_step import Kind, activate, activation, activation_backward

aten = torch.ops.aten


def sgd_epoch(images: Tensor, labels: Tensor, order: Tensor, weights: List[Tensor], biases: List[Tensor],
              activations: List[Tuple[int, float, float]], lr: float, batch_size: int, beta: float) -> Tensor:
    """SGD over ``images`` in ``order``, batch by batch, updating ``weights`` and ``biases`` in
    place; returns the sum over batches of the batch's mean loss times its size, as
    ``train.train_epoch`` adds it up. Layer ``i`` is ``activations[i](x @ weights[i].T + biases[i])``
    (see :func:`activation`)."""
    n = labels.size(0)
    total = torch.zeros((), device=labels.device)
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        h = images.index_select(0, batch).flatten(1)
        y = labels.index_select(0, batch)
        inputs: List[Tensor] = []  # of each linear layer
        before: List[Tensor] = []  # each activation's input
        for i in range(len(weights)):
            inputs.append(h)
            z = torch.addmm(biases[i], h, weights[i].t(), beta=beta)
            before.append(z)
            h = activate(activations[i], z)

        log_probs = torch.log_softmax(h, 1)
        loss, total_weight = aten.nll_loss_forward(log_probs, y, None, 1, -100)  # hand_step.MEAN, IGNORE_INDEX
        grad = aten.nll_loss_backward(torch.ones_like(loss), log_probs, y, None, 1, -100, total_weight)
        grad = aten._log_softmax_backward_data(grad, log_probs, 1, log_probs.dtype)

        weight_grads: List[Tensor] = []
        bias_grads: List[Tensor] = []
        for back in range(len(weights)):
            i = len(weights) - 1 - back
            after = inputs[i + 1] if i + 1 < len(weights) else h
            grad = activation_backward(activations[i], grad, before[i], after)
            weight_grads.append(grad.t().mm(inputs[i]))
            bias_grads.append(grad.sum(0))
            if i > 0:
                grad = grad.mm(weights[i])
        for back in range(len(weights)):  # after the whole backward pass, last layer first, as SGD
            i = len(weights) - 1 - back
            weights[i].add_(weight_grads[back], alpha=-lr)
            biases[i].add_(bias_grads[back], alpha=-lr)
        total += loss * batch.size(0)
    return total


@functools.cache
def compiled() -> Callable | None:
    """:func:`sgd_epoch` compiled by TorchScript, once per process; None where this PyTorch
    cannot compile it, and the Python step trains instead, to the same weights."""
    with warnings.catch_warnings():
        # PyTorch deprecates TorchScript for torch.compile and torch.export. Neither serves here:
        # torch.compile rounds differently (and, when tried on a CPU, made a SimpleNet2 step slower);
        # torch.export does not run training loops.
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        try:
            return torch.jit.script(sgd_epoch)
        except Exception:  # a PyTorch without TorchScript, or one that no longer compiles this
            return None


class ScriptedEpoch:
    """``epoch(images, labels, order, batch_size)``: :func:`sgd_epoch`, compiled, on the own
    parameter tensors of the MLP that runs ``layers`` (``Flatten``, then linear layers and
    activations: :mod:`battleground.train.engines.torchscript_epoch` says which), at the learning
    rate ``optimizer`` holds when the epoch starts."""

    def __init__(self, layers: list[nn.Module], optimizer: torch.optim.Optimizer):
        self.weights, self.biases, self.activations = [], [], []
        for layer in layers[1:]:
            if isinstance(layer, nn.Linear):
                self.weights.append(layer.weight.detach())  # views of the parameters: updated in place
                self.biases.append(layer.bias.detach())
                self.activations.append((Kind.NONE.value, 0.0, 1.0))
            elif not isinstance(layer, nn.Identity):
                self.activations[-1] = activation(layer)
        self.group = optimizer.param_groups[0]

    @torch.no_grad()
    def __call__(self, images: Tensor, labels: Tensor, order: Tensor, batch_size: int) -> Tensor:
        return compiled()(images, labels, order, self.weights, self.biases, self.activations,
                          self.group["lr"], batch_size, 1.0)


# The engine: which models the epoch trains, and the trainer it builds for one.

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
        if not (type(layer) is nn.Linear or (hand_step.activation(layer) is not None and previous is nn.Linear)):
            return f"{mlp}; {label} ({type(layer).__name__}) is not one of them"
        previous = type(layer)
    if previous is nn.Flatten:
        return f"{mlp}; this one has no linear layer"
    if compiled() is None:
        return "this PyTorch cannot compile the TorchScript epoch"
    return None


def build(model: nn.Module, optimizer: torch.optim.Optimizer, config, loss_fn) -> Trainer:
    common.check_optimizer(optimizer)
    layers = [layer for _, layer in chain.layers(model)]
    return Trainer(step=hand_step.HandStep(layers, optimizer), whole_epoch=ScriptedEpoch(layers, optimizer))
