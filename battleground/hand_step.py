"""A hand-written SGD step for our models: autograd's own kernels, without its bookkeeping.

A SimpleNet2 step is a handful of small matrix products. Through ``loss.backward()`` and
``optimizer.step()`` each of them also pays for graph recording, engine scheduling, gradient
accumulation and per-parameter optimizer dispatch, which on a CPU cost about as much again as
the arithmetic (``battleground bench``). :class:`HandStep` runs the forward and backward passes
as explicit calls to the very ATen functions autograd calls for ``nn.Linear`` (derivatives.yaml,
``mm_mat1_backward``/``mm_mat2_backward``), ``nn.Conv2d`` (one ``convolution_backward``),
``nn.AvgPool2d``, ``nn.Flatten``, the activation and ``F.cross_entropy``, in the same order with
the same layouts, and applies plain SGD as ``torch.optim.SGD`` does (``p.add_(grad,
alpha=-lr)``). The result is the same weights, bit for bit, as the autograd step
(``tests/test_fast_step.py`` checks every activation in SimpleNet2 and LeNet5), only sooner:
for SimpleNet2 much sooner, for LeNet5, whose time goes to its convolutions, a little.

It updates the model's own parameter tensors in place, so checkpoints, evaluation and the
optimizer (plain SGD keeps no state) see exactly what the autograd path would leave.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair

from battleground import models
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


# Activation layer -> forward returning (output, backward). PReLU is handled by HandStep itself:
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


def _known(layer: nn.Module) -> bool:
    if isinstance(layer, nn.Conv2d):  # zero padding given as numbers, as F.conv2d takes it
        return layer.padding_mode == "zeros" and not isinstance(layer.padding, str)
    if isinstance(layer, (nn.Linear, nn.AvgPool2d, nn.Flatten, nn.Identity)):
        return True
    return isinstance(layer, (nn.PReLU, *ACTIVATIONS)) and default_settings(layer)


def supports(model: nn.Module, config: TrainConfig) -> bool:
    """Whether :class:`HandStep` trains ``model`` exactly as the autograd step would: plain SGD
    on cross-entropy, and a float32 model built of ``Sequential`` containers (so its leaf
    layers run in the order they are registered) of linear and convolution layers, average
    pooling, ``Flatten`` and activations this module knows."""
    if config.optimizer != "SGD" or config.loss != "cross_entropy":
        return False
    return (all(_known(layer) for _, layer in models.layers_in_order(model))
            and all(p.dtype == torch.float32 for p in model.parameters()))


class HandStep:
    """``step(x, y)`` is one SGD step of ``model`` on the batch ``(x, y)``; it returns the batch's
    mean loss as a device tensor, as ``train.training_step`` does."""

    def __init__(self, model: nn.Module, lr: float):
        self.layers = [layer for _, layer in models.layers_in_order(model) if not isinstance(layer, nn.Identity)]
        self.lr = lr

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = x
        tape = []  # (layer, its input, an activation's backward, whether its input needs a gradient)
        weighted = False  # the images need no gradient; whatever a weight has touched does
        for layer in self.layers:
            if isinstance(layer, nn.Linear):  # F.linear on a 2-D input is addmm(b, x, W.t())
                tape.append((layer, h, None, weighted))
                h = torch.addmm(layer.bias, h, layer.weight.t())
            elif isinstance(layer, nn.Conv2d):  # nn.Conv2d's own call
                tape.append((layer, h, None, weighted))
                h = F.conv2d(h, layer.weight, layer.bias, layer.stride, layer.padding, layer.dilation, layer.groups)
            elif isinstance(layer, nn.AvgPool2d):
                tape.append((layer, h, None, weighted))
                h = F.avg_pool2d(h, layer.kernel_size, layer.stride, layer.padding, layer.ceil_mode,
                                 layer.count_include_pad, layer.divisor_override)
            elif isinstance(layer, nn.Flatten):
                tape.append((layer, h, None, weighted))
                h = h.flatten(layer.start_dim, layer.end_dim)
            elif isinstance(layer, nn.PReLU):
                tape.append((layer, h, None, weighted))
                h = torch.prelu(h, layer.weight)
            else:
                h, backward = ACTIVATIONS[type(layer)](h)
                tape.append((layer, None, backward, weighted))
            weighted = weighted or any(True for _ in layer.parameters())

        log_probs = torch.log_softmax(h, 1)  # F.cross_entropy = log_softmax + nll_loss
        loss, total_weight = aten.nll_loss_forward(log_probs, y, None, MEAN, IGNORE_INDEX)
        grad = aten.nll_loss_backward(torch.ones_like(loss), log_probs, y, None, MEAN, IGNORE_INDEX, total_weight)
        grad = aten._log_softmax_backward_data(grad, log_probs, 1, log_probs.dtype)

        updates = []  # (parameter, gradient): applied after the whole backward pass, as SGD does
        for layer, inputs, backward, needs_input_grad in reversed(tape):
            if isinstance(layer, nn.Linear):
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
            elif isinstance(layer, nn.PReLU):
                grad, slope_grad = aten._prelu_kernel_backward(grad, inputs, layer.weight)
                updates.append((layer.weight, slope_grad.sum_to_size(layer.weight.shape)))
            else:
                grad = backward(grad)
            if not needs_input_grad:
                break  # nothing before this layer has a weight
        for parameter, gradient in updates:
            parameter.add_(gradient, alpha=-self.lr)
        return loss
