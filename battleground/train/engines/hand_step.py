"""A hand-written SGD step for our models: autograd's own kernels, without its bookkeeping.

A SimpleNet2 step is a handful of small matrix products. Through ``loss.backward()`` and
``optimizer.step()`` each of them also pays for graph recording, engine scheduling, gradient
accumulation and per-parameter optimizer dispatch, which on a CPU can cost as much as the
arithmetic (``battleground bench``'s ``autograd`` contender measures it). :class:`HandStep` runs the forward and backward passes
as explicit calls to the very ATen functions autograd calls for ``nn.Linear`` (derivatives.yaml,
``mm_mat1_backward``/``mm_mat2_backward``), ``nn.Conv2d`` (one ``convolution_backward``),
``nn.AvgPool2d``, ``nn.Flatten``, the activation and ``F.cross_entropy``, in the same order with
the same layouts, and applies plain SGD as ``torch.optim.SGD`` does (``p.add_(grad,
alpha=-lr)``, the rate read from the optimizer at every step, as a schedule may set it).
The result is the same weights, bit for bit, as the autograd step
(``tests/test_fast_step.py`` checks every activation in SimpleNet2 and LeNet5), only sooner,
most of all for models whose time goes to small matrix products rather than convolutions.

It updates the model's own parameter tensors in place, so checkpoints, evaluation and the
optimizer (plain SGD keeps no state) see exactly what the autograd path would leave.

As an engine (:mod:`battleground.train.engines`) it trains a float32 chain (:mod:`.chain`) of the
layers it knows: linear layers on flattened images, 2-D convolutions and average pooling before
the flattening, parameter-free activations and PReLU with one slope.
"""

from __future__ import annotations

from enum import Enum
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.utils import _pair

from battleground.train.engines import chain, common
from battleground.train.engines.common import Trainer

aten = torch.ops.aten
IGNORE_INDEX, MEAN = -100, 1  # F.cross_entropy's defaults, as ATen's nll_loss takes them


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


class Kind(Enum):
    """A parameter-free activation, as a number: :mod:`.torchscript_epoch` compiles
    :func:`activate` and :func:`activation_backward` with TorchScript, which takes no closures
    or classes as values."""

    NONE = 0
    RELU = 1
    ELU = 2  # and SELU: ELU with its own alpha and scale
    GELU = 3
    LEAKY_RELU = 4
    SILU = 5
    SIGMOID = 6
    TANH = 7


def activation(layer: nn.Module) -> tuple[int, float, float] | None:
    """``(kind, alpha, scale)`` of a parameter-free activation layer as its module calls it
    (ELU's alpha, LeakyReLU's slope as alpha); None for any other layer or setting."""
    if getattr(layer, "inplace", False):
        return None
    if isinstance(layer, nn.GELU):
        return (Kind.GELU.value, 0.0, 1.0) if layer.approximate == "none" else None
    if isinstance(layer, nn.ELU):
        return Kind.ELU.value, float(layer.alpha), 1.0
    if isinstance(layer, nn.LeakyReLU):
        return Kind.LEAKY_RELU.value, float(layer.negative_slope), 1.0
    kind = {nn.ReLU: Kind.RELU, nn.SELU: Kind.ELU, nn.SiLU: Kind.SILU, nn.Sigmoid: Kind.SIGMOID,
            nn.Tanh: Kind.TANH}.get(type(layer))
    if kind is None:
        return None
    return (kind.value, SELU_ALPHA, SELU_SCALE) if kind is Kind.ELU else (kind.value, 0.0, 1.0)  # torch.selu is elu


def activate(act: Tuple[int, float, float], x: Tensor) -> Tensor:
    """The activation ``act`` (see :func:`activation`) of ``x``, by the ATen call its module makes."""
    kind, alpha, scale = act
    if kind == Kind.RELU.value:
        return torch.relu(x)
    if kind == Kind.ELU.value:
        return aten.elu(x, alpha, scale)
    if kind == Kind.GELU.value:
        return aten.gelu(x)
    if kind == Kind.LEAKY_RELU.value:
        return aten.leaky_relu(x, alpha)
    if kind == Kind.SILU.value:
        return aten.silu(x)
    if kind == Kind.SIGMOID.value:
        return torch.sigmoid(x)
    if kind == Kind.TANH.value:
        return torch.tanh(x)
    return x


def activation_backward(act: Tuple[int, float, float], grad: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """The gradient at the input ``x`` of activation ``act`` from the one at its output ``y``, by
    the ATen call autograd makes (derivatives.yaml)."""
    kind, alpha, scale = act
    if kind == Kind.RELU.value:
        return aten.threshold_backward(grad, y, 0)
    if kind == Kind.ELU.value:
        return aten.elu_backward(grad, alpha, scale, 1, False, x)
    if kind == Kind.GELU.value:
        return aten.gelu_backward(grad, x)
    if kind == Kind.LEAKY_RELU.value:
        return aten.leaky_relu_backward(grad, x, alpha, False)
    if kind == Kind.SILU.value:
        return aten.silu_backward(grad, x)
    if kind == Kind.SIGMOID.value:
        return aten.sigmoid_backward(grad, y)
    if kind == Kind.TANH.value:
        return aten.tanh_backward(grad, y)
    return grad


def known(layer: nn.Module) -> bool:
    """Whether the step has the kernels of ``layer`` (where in a chain it may stand is
    :func:`layer_reason`'s to say)."""
    if isinstance(layer, nn.Conv2d):  # zero padding given as numbers, as F.conv2d takes it
        return layer.padding_mode == "zeros" and not isinstance(layer.padding, str)
    if isinstance(layer, (nn.Linear, nn.AvgPool2d, nn.Flatten, nn.Identity)):
        return True
    if isinstance(layer, nn.PReLU):  # one learned slope, a parameter with a gradient of its own
        return layer.num_parameters == 1
    return activation(layer) is not None


class HandStep:
    """``step(x, y)`` is one SGD step on the batch ``(x, y)`` of the model that runs ``layers``
    one after another (a chain, as :mod:`battleground.train.engines.chain` proves), at the
    learning rate of ``optimizer``'s one parameter group; it returns the batch's mean loss as a
    device tensor, as ``engines.autograd.training_step`` does."""

    def __init__(self, layers: list[nn.Module], optimizer: torch.optim.Optimizer):
        # (layer, its activation or None, whether its input needs a gradient): the images need
        # none, whatever a weight has touched does. Worked out once, not at every step.
        self.plan, weighted = [], False
        for layer in layers:
            if not isinstance(layer, nn.Identity):
                self.plan.append((layer, activation(layer), weighted))
                weighted = weighted or any(True for _ in layer.parameters())
        self.group = optimizer.param_groups[0]

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = x
        tape = []  # (layer, activation, its input, its output, needs input grad), for the way back
        for layer, act, needs_input_grad in self.plan:
            inputs = h
            if act is not None:
                h = activate(act, h)
            elif isinstance(layer, nn.Linear):  # F.linear on a 2-D input is addmm(b, x, W.t())
                h = torch.addmm(layer.bias, h, layer.weight.t())
            elif isinstance(layer, nn.Conv2d):  # nn.Conv2d's own call
                h = F.conv2d(h, layer.weight, layer.bias, layer.stride, layer.padding, layer.dilation, layer.groups)
            elif isinstance(layer, nn.AvgPool2d):
                h = F.avg_pool2d(h, layer.kernel_size, layer.stride, layer.padding, layer.ceil_mode,
                                 layer.count_include_pad, layer.divisor_override)
            elif isinstance(layer, nn.Flatten):
                h = h.flatten(layer.start_dim, layer.end_dim)
            else:  # PReLU
                h = torch.prelu(h, layer.weight)
            tape.append((layer, act, inputs, h, needs_input_grad))

        log_probs = torch.log_softmax(h, 1)  # F.cross_entropy = log_softmax + nll_loss
        loss, total_weight = aten.nll_loss_forward(log_probs, y, None, MEAN, IGNORE_INDEX)
        grad = aten.nll_loss_backward(torch.ones_like(loss), log_probs, y, None, MEAN, IGNORE_INDEX, total_weight)
        grad = aten._log_softmax_backward_data(grad, log_probs, 1, log_probs.dtype)

        updates = []  # (parameter, gradient): applied after the whole backward pass, as SGD does
        for layer, act, inputs, outputs, needs_input_grad in reversed(tape):
            if act is not None:
                grad = activation_backward(act, grad, inputs, outputs)
            elif isinstance(layer, nn.Linear):
                # addmm's backward: bias sum_to, mm_mat2_backward for W.t() (column-major:
                # grad.t().mm(x)), mm_mat1_backward for x (row-major: grad.mm(W)).
                updates += [(layer.weight, grad.t().mm(inputs)), (layer.bias, grad.sum(0))]
                if needs_input_grad:
                    grad = grad.mm(layer.weight)
            elif isinstance(layer, nn.Conv2d):  # ConvolutionBackward0's one call
                grad, weight_grad, bias_grad = aten.convolution_backward(
                    grad, inputs, layer.weight, [layer.out_channels] if layer.bias is not None else None,
                    layer.stride, layer.padding, layer.dilation, False, [0, 0], layer.groups,
                    [needs_input_grad, True, layer.bias is not None])
                updates.append((layer.weight, weight_grad))
                if layer.bias is not None:
                    updates.append((layer.bias, bias_grad))
            elif isinstance(layer, nn.AvgPool2d):
                grad = aten.avg_pool2d_backward(grad, inputs, _pair(layer.kernel_size), _pair(layer.stride),
                                                _pair(layer.padding), layer.ceil_mode, layer.count_include_pad,
                                                layer.divisor_override)
            elif isinstance(layer, nn.Flatten):
                grad = grad.reshape(inputs.shape)
            else:  # PReLU
                grad, slope_grad = aten._prelu_kernel_backward(grad, inputs, layer.weight)
                updates.append((layer.weight, slope_grad.sum_to_size(layer.weight.shape)))
            if not needs_input_grad:
                break  # nothing before this layer has a weight
        lr = self.group["lr"]
        for parameter, gradient in updates:
            parameter.add_(gradient, alpha=-lr)
        return loss


# The engine: which models the step trains, and the trainer it builds for one.

name = "hand-step"


def _default_flatten(layer: nn.Module) -> bool:
    return isinstance(layer, nn.Flatten) and layer.start_dim == 1 and layer.end_dim == -1


def layer_reason(layers: list[tuple[str, nn.Module]]) -> str | None:
    """None if the step knows every layer of the chain ``layers`` where it stands, else why not."""
    flat = False  # after a Flatten: 2-D activations
    for label, layer in layers:
        kind = f"{label} ({type(layer).__name__})"
        if not known(layer):
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
    return Trainer(step=HandStep([layer for _, layer in chain.layers(model)], optimizer))
