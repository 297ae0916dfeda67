"""The hand-written MLP step, and its epochs in TorchScript, against autograd's, on real MNIST: the
same weights bit for bit."""

from __future__ import annotations

import copy

import pytest
import torch

from battleground.train import data, engines, flops, models, loop
from battleground.train.engines import hand_step
from battleground.core.config import DEFAULTS
from battleground.core.spec import ACTIVATIONS, Task, variant
from experiments import activation_functions

CPU = torch.device("cpu")
STEPS = 30
TIMINGS = ("seconds",)


@pytest.fixture(scope="module")
def splits(data_dir) -> data.Splits:
    arrays = data.load_idx(data.idx_folder(data_dir, "mnist"))
    return data.make_splits(arrays, DEFAULTS.replace(train_size=3_000), CPU)


def _twins(name: str, depth: int | None) -> tuple[torch.nn.Module, torch.nn.Module]:
    """Two copies of a SimpleNet2 of ``depth`` middle layers, or of LeNet5 for depth None, on a CPU
    as the trainer places them (LeNet5 channels-last)."""
    torch.manual_seed(1729)
    family = variant("LeNet5", activation=name) if depth is None else variant("SimpleNet2", depth=depth, activation=name)
    model = loop.place(models.build(family), CPU)
    return model, copy.deepcopy(model)


@pytest.mark.parametrize("depth", [pytest.param(0, id="SimpleNet2 depth 0"), pytest.param(3, id="SimpleNet2 depth 3"),
                                   pytest.param(None, id="LeNet5", marks=pytest.mark.slow)])  # a conv net's steps
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_the_hand_written_step_gives_autograds_weights_bit_for_bit(splits, name, depth):
    autograd_model, fast_model = _twins(name, depth)
    config = DEFAULTS.replace(lr=0.05)  # a large step, so that a wrong gradient shows at once
    assert engines.hand_step.supports(fast_model, config, CPU) is None
    plain = loop.make_step(autograd_model, loop.make_optimizer(autograd_model, config), config, fast=False)
    fast = loop.make_step(fast_model, loop.make_optimizer(fast_model, config), config)
    assert isinstance(fast, hand_step.HandStep) and not isinstance(plain, hand_step.HandStep)
    for start in range(0, STEPS * 100, 100):
        x, y = splits.train_x[start : start + 100], splits.train_y[start : start + 100]
        assert torch.equal(plain(x, y), fast(x, y))
    for (key, want), got in zip(autograd_model.state_dict().items(), fast_model.state_dict().values()):
        assert torch.equal(want, got), key
    first = next(iter(autograd_model.state_dict()))  # the first layer's weight: it has learned
    assert not torch.equal(autograd_model.state_dict()[first], _twins(name, depth)[0].state_dict()[first])


@pytest.mark.parametrize("depth", [0, 2])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_an_epoch_in_torchscript_gives_autograds_weights_and_loss_bit_for_bit(data_dir, name, depth):
    config = DEFAULTS.replace(train_size=2_050, lr=0.05)  # 20 full batches and a partial one
    uneven = data.make_splits(data.load_idx(data.idx_folder(data_dir, "mnist")), config, CPU)
    task = Task("test", variant("SimpleNet2", depth=depth, activation=name), 1729, config)
    fast, plain = loop.init_state(task, CPU), loop.init_state(task, CPU, fast=False)
    assert (fast.whole_epoch is None) == (name == "PReLU")  # a learned slope keeps the Python step
    assert plain.whole_epoch is None
    for _ in range(2):
        assert loop.train_epoch(fast, uneven, config) == loop.train_epoch(plain, uneven, config)
    for (key, want), got in zip(plain.model.state_dict().items(), fast.model.state_dict().values()):
        assert torch.equal(want, got), key


@pytest.mark.parametrize("family, engine", [
    (variant("SimpleNet2", depth=1, activation="PReLU"), "hand-step"),  # looped in Python
    (variant("SimpleNet2", depth=1, activation="tanh"), "torchscript-epoch"),
    (variant("LeNet5", activation="tanh"), "hand-step"),  # convolutions and pooling
], ids=str)
@pytest.mark.slow  # trains whole runs twice, fast and plain
def test_the_fast_path_writes_the_plain_paths_record_but_for_the_engine(splits, tmp_path, family, engine):
    task = Task("test", family, 271828,
                activation_functions.INVESTIGATION.config.replace(train_size=3_000, epochs=3))
    fast = loop.train(task, splits, CPU, tmp_path / "fast", progress=False)
    plain = loop.train(task, splits, CPU, tmp_path / "plain", progress=False, fast=False)
    assert (fast.pop("engine"), plain.pop("engine")) == (engine, "autograd")
    for record in (fast, plain):
        del record["started"], record["finished"]
        for column in TIMINGS:
            del record["epochs"][column]
    assert fast["status"] == "complete" and len(fast["epochs"]["epoch"]) == 3
    assert fast == plain


def test_the_fast_step_does_the_flops_of_the_autograd_step(splits):
    autograd_model, fast_model = _twins("tanh", 2)
    x, y = splits.train_x[:100], splits.train_y[:100]
    plain = loop.make_step(autograd_model, loop.make_optimizer(autograd_model, DEFAULTS), DEFAULTS, fast=False)
    fast = loop.make_step(fast_model, loop.make_optimizer(fast_model, DEFAULTS), DEFAULTS)
    assert flops.step_flops(lambda: fast(x, y)) == flops.step_flops(lambda: plain(x, y))


def _with_softplus(model: torch.nn.Module) -> torch.nn.Module:
    model.layers[2] = torch.nn.Softplus()
    return model


@pytest.mark.parametrize("model, config", [
    (torch.nn.Sequential(torch.nn.Conv2d(1, 2, 5), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                         torch.nn.Linear(288, 10)), DEFAULTS),
    (_with_softplus(models.build(variant("SimpleNet2", depth=0, activation="ReLU"))), DEFAULTS),
    (models.build(variant("SimpleNet2", depth=0, activation="ReLU")), DEFAULTS.replace(optimizer="Adam")),
    (models.build(variant("SimpleNet2", depth=0, activation="ReLU")).double(), DEFAULTS),
], ids=["max pooling", "unknown activation", "other optimizer", "float64"])
def test_models_the_hand_written_step_does_not_know_train_with_autograd(model, config):
    assert engines.hand_step.supports(model, config, CPU) is not None
    assert not isinstance(loop.make_step(model, torch.optim.SGD(model.parameters(), lr=0.1), config),
                          hand_step.HandStep)


def test_cuda_graphs_are_a_cuda_only_option(splits):
    task = Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), 1729, DEFAULTS.replace(train_size=3_000))
    state = loop.init_state(task, CPU, cuda_graphs=True)
    assert not state.cuda_graphs
    loop.train_epoch(state, splits, task.config)
    assert state.graphed == {}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", ["ReLU", "PReLU"])
def test_a_graphed_run_trains_as_the_eager_run_on_cuda(data_dir, name):
    cuda = torch.device("cuda")
    config = DEFAULTS.replace(train_size=3_050)  # 30 full batches and a partial one, replayed eagerly
    gpu_splits = data.make_splits(data.load_idx(data.idx_folder(data_dir, "mnist")), config, cuda)
    task = Task("test", variant("SimpleNet2", depth=2, activation=name), 1729, config)
    eager, graphed = loop.init_state(task, cuda), loop.init_state(task, cuda, cuda_graphs=True)
    for _ in range(2):
        losses = [loop.train_epoch(state, gpu_splits, config) for state in (eager, graphed)]
        assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    assert len(graphed.graphed) == 1 and next(iter(graphed.graphed.values())) is not None
    for want, got in zip(eager.model.parameters(), graphed.model.parameters()):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)
