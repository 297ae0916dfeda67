"""A hand-written SGD step for MLPs: autograd's own kernels, without autograd's bookkeeping.

A SimpleNet2 step is a handful of small matrix products. Through ``loss.backward()`` and
``optimizer.step()`` each of them also pays for graph recording, engine scheduling, gradient
accumulation and per-parameter optimizer dispatch, which on a CPU cost about as much again as
the arithmetic (``battleground bench``). :class:`MLPStep` runs the forward and backward passes
as explicit calls to the very ATen functions autograd calls for ``nn.Linear``, the activation
and ``F.cross_entropy`` (derivatives.yaml, ``mm_mat1_backward``/``mm_mat2_backward``), in the
same order with the same layouts, and applies plain SGD as ``torch.optim.SGD`` does
(``p.add_(grad, alpha=-lr)``). The result is the same weights, bit for bit, as the autograd
step (``tests/test_fast_step.py`` checks every activation), only sooner.

It updates the model's own parameter tensors in place, so checkpoints, evaluation and the
optimizer (plain SGD keeps no state) see exactly what the autograd path would leave.
"""

from __future__ import annotations

import torch
from torch import nn

from battleground.config import TrainConfig

aten = torch.ops.aten
IGNORE_INDEX, MEAN = -100, 1  # F.cross_entropy's defaults, as ATen's nll_loss takes them


def _relu(x):
    y = torch.relu(x)
    return y, lambda grad: aten.threshold_backward(grad, y, 0)


def _elu(x):
    y = torch._C._nn.elu(x, 1.0)  # nn.ELU(alpha=1.0)
    return y, lambda grad: aten.elu_backward(grad, 1.0, 1, 1, False, x)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _selu(x):
    y = torch._C._nn.elu(x, SELU_ALPHA, SELU_SCALE)  # torch.selu is this elu
    return y, lambda grad: aten.elu_backward(grad, SELU_ALPHA, SELU_SCALE, 1, False, x)


def _gelu(x):
    y = torch._C._nn.gelu(x)  # nn.GELU(approximate="none")
    return y, lambda grad: aten.gelu_backward(grad, x)


def _leaky_relu(x):
    y = torch._C._nn.leaky_relu(x, 0.01)  # nn.LeakyReLU(negative_slope=0.01)
    return y, lambda grad: aten.leaky_relu_backward(grad, x, 0.01, False)


def _silu(x):
    y = torch._C._nn.silu(x)
    return y, lambda grad: aten.silu_backward(grad, x)


def _sigmoid(x):
    y = torch.sigmoid(x)
    return y, lambda grad: aten.sigmoid_backward(grad, y)


def _tanh(x):
    y = torch.tanh(x)
    return y, lambda grad: aten.tanh_backward(grad, y)


# Activation layer -> forward returning (output, backward). PReLU is handled by MLPStep itself:
# its slope is a parameter with a gradient of its own.
ACTIVATIONS = {nn.ReLU: _relu, nn.ELU: _elu, nn.SELU: _selu, nn.GELU: _gelu, nn.LeakyReLU: _leaky_relu,
               nn.SiLU: _silu, nn.Sigmoid: _sigmoid, nn.Tanh: _tanh}


def default_settings(layer: nn.Module) -> bool:
    """Whether an activation layer uses the settings the functions above hard-code."""
    if isinstance(layer, nn.ELU):
        return layer.alpha == 1.0 and not layer.inplace
    if isinstance(layer, nn.LeakyReLU):
        return layer.negative_slope == 0.01 and not layer.inplace
    if isinstance(layer, nn.GELU):
        return layer.approximate == "none"
    if isinstance(layer, nn.PReLU):
        return layer.num_parameters == 1
    return not getattr(layer, "inplace", False)


def supports(model: nn.Module, config: TrainConfig) -> bool:
    """Whether :class:`MLPStep` trains ``model`` exactly as the autograd step would: plain SGD
    on cross-entropy, and a model that is a ``Sequential`` of ``Flatten``, float32 ``Linear``
    layers and activations it knows."""
    if config.optimizer != "SGD" or config.loss != "cross_entropy":
        return False
    layers = getattr(model, "layers", None)
    if not isinstance(layers, nn.Sequential) or not isinstance(layers[0], nn.Flatten):
        return False
    known = (nn.Linear, nn.Identity, nn.PReLU, *ACTIVATIONS)
    return (all(isinstance(layer, known) and default_settings(layer) for layer in layers[1:])
            and all(p.dtype == torch.float32 for p in model.parameters()))


class MLPStep:
    """``step(x, y)`` is one SGD step of ``model`` on the batch ``(x, y)``; it returns the batch's
    mean loss as a device tensor, as ``train.training_step`` does."""

    def __init__(self, model: nn.Module, lr: float):
        self.layers = [layer for layer in model.layers[1:] if not isinstance(layer, nn.Identity)]
        self.lr = lr

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)
        backwards = []  # (layer, its input, backward of an activation) for the way back
        for layer in self.layers:
            if isinstance(layer, nn.Linear):  # F.linear on a 2-D input is addmm(b, x, W.t())
                backwards.append((layer, h, None))
                h = torch.addmm(layer.bias, h, layer.weight.t())
            elif isinstance(layer, nn.PReLU):
                backwards.append((layer, h, None))
                h = torch.prelu(h, layer.weight)
            else:
                h, backward = ACTIVATIONS[type(layer)](h)
                backwards.append((layer, None, backward))

        log_probs = torch.log_softmax(h, 1)  # F.cross_entropy = log_softmax + nll_loss
        loss, total_weight = aten.nll_loss_forward(log_probs, y, None, MEAN, IGNORE_INDEX)
        grad = aten.nll_loss_backward(torch.ones_like(loss), log_probs, y, None, MEAN, IGNORE_INDEX, total_weight)
        grad = aten._log_softmax_backward_data(grad, log_probs, 1, log_probs.dtype)

        updates = []  # (parameter, gradient): applied after the whole backward pass, as SGD does
        for index in range(len(backwards) - 1, -1, -1):
            layer, inputs, backward = backwards[index]
            first = index == 0  # the images need no gradient
            if isinstance(layer, nn.Linear):
                # addmm's backward: bias sum_to, mm_mat2_backward for W.t() (column-major:
                # grad.t().mm(x)), mm_mat1_backward for x (row-major: grad.mm(W)).
                updates += [(layer.weight, grad.t().mm(inputs)), (layer.bias, grad.sum(0))]
                if not first:
                    grad = grad.mm(layer.weight)
            elif isinstance(layer, nn.PReLU):
                grad, slope_grad = aten._prelu_kernel_backward(grad, inputs, layer.weight)
                updates.append((layer.weight, slope_grad.sum_to_size(layer.weight.shape)))
            else:
                grad = backward(grad)
        for parameter, gradient in updates:
            parameter.add_(gradient, alpha=-self.lr)
        return loss
