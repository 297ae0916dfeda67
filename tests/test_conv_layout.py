"""The trainer's channels-last layout for conv nets on a CPU (``loop.place``) against autograd in
the default layout, on real MNIST: the same training to float rounding, for LeNet5 and the network
zoo's conv nets that ``battleground bench`` times."""

from __future__ import annotations

import pytest
import torch

from battleground.train import bench, data, loop
from battleground.core.spec import Task

CPU = torch.device("cpu")
STEPS = 20
FAMILIES = ("LeNet5", "ZooConv2d", "ZooConv2dThenLinear", "ZooResNet")


@pytest.fixture(scope="module")
def splits(data_dir) -> data.Splits:
    config = bench.family_config("LeNet5", STEPS * 100)
    return data.make_splits(data.load_idx(data.idx_folder(data_dir, "mnist")), config, CPU)


def _is_channels_last(model: torch.nn.Module) -> bool:
    return all(p.is_contiguous(memory_format=torch.channels_last) for p in model.parameters() if p.dim() == 4)


@pytest.mark.slow  # trains each conv net, ResNet cells included, in both memory layouts
@pytest.mark.parametrize("family", FAMILIES)
def test_channels_last_trains_a_conv_net_as_the_default_layout_does_to_float_rounding(splits, family):
    config = bench.family_config(family, len(splits.train_y))
    task = Task("test", bench.VARIANTS[family], 1729, config)
    # autograd in the trainer's layout (LeNet5's hand-written step is autograd's bit for bit: test_fast_step)
    trainer = loop.init_state(task, CPU, fast=False)
    default = loop.init_state(task, CPU, fast=False)
    default.model.to(memory_format=torch.contiguous_format)  # in place: the optimizer keeps its parameters
    assert _is_channels_last(trainer.model) and not _is_channels_last(default.model)
    before = {name: value.clone() for name, value in default.model.state_dict().items()}
    for start in range(0, STEPS * 100, 100):
        x, y = splits.train_x[start:start + 100], splits.train_y[start:start + 100]
        torch.testing.assert_close(trainer.step(x, y), default.step(x, y), rtol=1e-4, atol=1e-5)
    # Adam moves a weight by about lr whatever its gradient's size, so where a gradient is near 0 its
    # rounding can turn a step around: a weight may differ by up to a step or two, never more.
    weight_tolerance = 2 * config.lr if config.optimizer == "Adam" else 1e-5
    for (name, want), got in zip(default.model.state_dict().items(), trainer.model.state_dict().values()):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=weight_tolerance, msg=lambda m: f"{family} {name}: {m}")
    first = next(name for name, value in before.items() if value.dim() == 4)  # the first convolution has learned
    assert not torch.allclose(before[first], default.model.state_dict()[first], rtol=1e-4, atol=1e-5)
