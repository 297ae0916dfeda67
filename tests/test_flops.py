"""Training FLOPs per step, against counts derived by hand."""

from __future__ import annotations

import pytest
import torch

from battleground.train import flops, models, loop
from battleground.core.config import DEFAULTS
from battleground.train.data import Splits
from battleground.core.spec import variant
from tests import engine_models

BATCH = 100


def _step_flops(model: torch.nn.Module, images: int = 1) -> flops.StepFlops:
    optimizer = loop.make_optimizer(model, DEFAULTS)
    x, y = torch.rand(BATCH, images, 28, 28), torch.randint(0, 10, (BATCH,))
    return flops.step_flops(lambda: loop.training_step(model, optimizer, loop.LOSSES["cross_entropy"], x, y),
                            forward=lambda: model(x))


def _forward_flops(model: torch.nn.Module, images: int = 1) -> tuple[int, int]:
    """(profiler, complete) FLOPs of one forward pass of a batch, gradients on as in training."""
    x = torch.rand(BATCH, images, 28, 28)
    return flops.profiler_flops(lambda: model(x)), flops.complete_flops(lambda: model(x))


def _simple_net(depth: int, activation: str = "ReLU") -> torch.nn.Module:
    return models.build(variant("SimpleNet2", depth=depth, activation=activation))


def test_simplenet2_depth_0_step_is_31_96_mflop_by_both_counters():
    # forward 2*100*(784*100 + 100*10) = 15,880,000; backward: both weight gradients (15,880,000)
    # and the second layer's input gradient (200,000); the first layer's input needs none.
    step = _step_flops(_simple_net(0))
    assert step == flops.StepFlops(profiler=31_960_000, complete=31_960_000, profiler_complete=True)
    assert step.profiler * 600 == 19_176_000_000  # one epoch of 60,000 images


def test_each_middle_layer_adds_6_mflop_per_step():
    # a 100x100 layer: forward, weight gradient and input gradient, 2*100*100*100 each
    for depth in (1, 2, 3):
        expected = 31_960_000 + depth * 6_000_000
        assert _step_flops(_simple_net(depth, "tanh")) == flops.StepFlops(expected, expected, True)


def test_lenet5_complete_count_and_the_profilers_missing_convolution_backward():
    # (name, multiply-adds per image, first layer?) for conv1..conv3, fc1, fc2
    layers = [
        ("conv1", 6 * 28 * 28 * (1 * 5 * 5), True),
        ("conv2", 16 * 10 * 10 * (6 * 5 * 5), False),
        ("conv3", 120 * 1 * 1 * (16 * 5 * 5), False),
        ("fc1", 120 * 84, False),
        ("fc2", 84 * 10, False),
    ]
    forward = {name: 2 * BATCH * macs for name, macs, _ in layers}
    weight_grads = dict(forward)  # the same products, transposed
    input_grads = {name: forward[name] for name, _, first in layers if not first}
    complete = sum(forward.values()) + sum(weight_grads.values()) + sum(input_grads.values())
    conv_backward = sum(
        grads.get(name, 0) for grads in (weight_grads, input_grads) for name in ("conv1", "conv2", "conv3")
    )
    assert complete == 226_392_000 and conv_backward == 138_720_000

    for activation in ("tanh", "ReLU"):  # element-wise work counts for neither counter
        step = _step_flops(models.build(variant("LeNet5", activation=activation)))
        assert step.complete == complete
        assert step.profiler == complete - conv_backward == 87_672_000


def test_measuring_leaves_the_run_untouched():
    torch.manual_seed(7)
    model = _simple_net(1)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    x = torch.rand(200, 1, 28, 28)
    y = torch.randint(0, 10, (200,))
    splits = Splits(x, y, x, y, x, y, source="random")
    rng = torch.get_rng_state()
    step = loop.measure_flops(model, splits, DEFAULTS)
    assert step.profiler == 31_960_000 + 6_000_000
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(torch.get_rng_state(), rng)


@pytest.mark.parametrize("model, profiled", [
    (engine_models.conv1d_net(), False),
    (engine_models.conv3d_net(), False),
    (models.build(variant("LeNet5", activation="tanh")), True),
    (_simple_net(1), True),
], ids=["Conv1d", "Conv3d", "LeNet5 (Conv2d)", "SimpleNet2"])
def test_a_step_says_whether_the_profiler_counted_every_layers_forward(model, profiled):
    # The profiler gives aten::conv1d and aten::conv3d no FLOPs, forward or backward: a chart of
    # its count would put such a net near zero. The step says so; the record carries it.
    assert _step_flops(model).profiler_complete is profiled


def _conv2d_net() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Conv2d(1, 2, 5), torch.nn.Tanh(), torch.nn.Conv2d(2, 3, 3),
                               torch.nn.Flatten(), torch.nn.Linear(3 * 22 * 22, 10))


def _batch_norm_mlp() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32), torch.nn.BatchNorm1d(32),
                               torch.nn.ReLU(), torch.nn.Linear(32, 10))


def _linear(inputs: int, outputs: int) -> int:
    return 2 * BATCH * inputs * outputs


# (forward profiler, forward complete, backward profiler, backward complete), by hand. Backward
# is the step less the forward: SGD's in-place update carries no FLOPs for either counter. A
# layer's weight gradient costs what its forward does; so does its input gradient, which only a
# layer with weights before it needs. The profiler gives no FLOPs to aten::conv1d or
# aten::conv3d (forward or backward) nor to aten::convolution_backward (any dimension).
CONV1D = 2 * BATCH * 4 * 780 * 5  # 4 channels of 780 outputs, 5 multiply-adds each
CONV2D = (2 * BATCH * 2 * 24 * 24 * 25, 2 * BATCH * 3 * 22 * 22 * 2 * 9)  # 5x5 on 1 channel, 3x3 on 2
CONV3D = 2 * BATCH * 2 * 26 * 26 * 9  # 2 channels of 1x26x26 outputs, a 1x3x3 kernel
FC = {name: _linear(n, 10) for name, n in (("1d", 4 * 780), ("2d", 3 * 22 * 22), ("3d", 2 * 26 * 26))}
HAND_COUNTS = {
    "Conv1d": (engine_models.conv1d_net, 1, (FC["1d"], CONV1D + FC["1d"], 2 * FC["1d"], 2 * FC["1d"] + CONV1D)),
    "Conv2d": (_conv2d_net, 1, (sum(CONV2D) + FC["2d"], sum(CONV2D) + FC["2d"],
                                2 * FC["2d"], 2 * FC["2d"] + 2 * CONV2D[1] + CONV2D[0])),
    "Conv3d": (engine_models.conv3d_net, 1, (FC["3d"], CONV3D + FC["3d"], 2 * FC["3d"], 2 * FC["3d"] + CONV3D)),
    # Batch norm counts nothing, for either counter: FlopCounterMode has no formula for
    # aten.native_batch_norm (nor its backward), the profiler none for aten::batch_norm.
    "BatchNorm": (_batch_norm_mlp, 1, (_linear(784, 32) + _linear(32, 10),) * 2
                  + (_linear(784, 32) + 2 * _linear(32, 10),) * 2),
    # h + relu(W h + b): the profiler counts the addition (one FLOP an element, B x 32) too; the
    # gradients of h's two uses add up in place, which it does not count.
    "residual block": (engine_models.ResidualMLP, 1, (
        _linear(784, 32) + _linear(32, 32) + _linear(32, 10) + BATCH * 32,
        _linear(784, 32) + _linear(32, 32) + _linear(32, 10),
        _linear(784, 32) + 2 * _linear(32, 32) + 2 * _linear(32, 10),
        _linear(784, 32) + 2 * _linear(32, 32) + 2 * _linear(32, 10))),
    # One branch's weights on both images: its forward and weight gradient twice; the two weight
    # gradients (784 x 32 and 32) are then added out of place, which the profiler counts.
    "two branches": (engine_models.Siamese, 2, (
        2 * _linear(784, 32) + _linear(64, 10),
        2 * _linear(784, 32) + _linear(64, 10),
        2 * _linear(784, 32) + 2 * _linear(64, 10) + 784 * 32 + 32,
        2 * _linear(784, 32) + 2 * _linear(64, 10))),
}


@pytest.mark.parametrize("name", HAND_COUNTS)
def test_forward_and_backward_flops_match_the_hand_counts(name):
    build, images, (forward_profiler, forward_complete, backward_profiler, backward_complete) = HAND_COUNTS[name]
    torch.manual_seed(1729)
    model = build()
    assert _forward_flops(model, images) == (forward_profiler, forward_complete)
    step = _step_flops(model, images)
    assert (step.profiler - forward_profiler, step.complete - forward_complete) == (backward_profiler, backward_complete)
    assert step.profiler_complete is (forward_profiler >= forward_complete)
