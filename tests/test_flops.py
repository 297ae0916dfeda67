"""Training FLOPs per step, against counts derived by hand."""

from __future__ import annotations

import torch

from battleground.train import flops, models, loop
from battleground.core.config import DEFAULTS
from battleground.train.data import Splits
from battleground.core.spec import variant

BATCH = 100


def _step_flops(model: torch.nn.Module) -> flops.StepFlops:
    optimizer = loop.make_optimizer(model, DEFAULTS)
    x, y = torch.rand(BATCH, 1, 28, 28), torch.randint(0, 10, (BATCH,))
    return flops.step_flops(lambda: loop.training_step(model, optimizer, loop.LOSSES["cross_entropy"], x, y))


def _simple_net(depth: int, activation: str = "ReLU") -> torch.nn.Module:
    return models.build(variant("SimpleNet2", depth=depth, activation=activation))


def test_simplenet2_depth_0_step_is_31_96_mflop_by_both_counters():
    # forward 2*100*(784*100 + 100*10) = 15,880,000; backward: both weight gradients (15,880,000)
    # and the second layer's input gradient (200,000); the first layer's input needs none.
    step = _step_flops(_simple_net(0))
    assert step == flops.StepFlops(profiler=31_960_000, complete=31_960_000)
    assert step.profiler * 600 == 19_176_000_000  # one epoch of 60,000 images


def test_each_middle_layer_adds_6_mflop_per_step():
    # a 100x100 layer: forward, weight gradient and input gradient, 2*100*100*100 each
    for depth in (1, 2, 3):
        expected = 31_960_000 + depth * 6_000_000
        assert _step_flops(_simple_net(depth, "tanh")) == flops.StepFlops(expected, expected)


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
