"""Engines against autograd, the reference: a fast engine trains only models it can prove are a
chain it knows, and then to autograd's weights: bit for bit for the hand-written step and the
TorchScript epoch, to float rounding (stated below) for batched training. Every family meets
every engine; one that declines says why in one line."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from battleground.train import data, engines, loop, models
from battleground.train.engines import chain
from battleground.core import records
from battleground.core.config import DEFAULTS
from battleground.core.spec import Task, variant
from tests import engine_models

CPU = torch.device("cpu")
SEED = 1729
STEPS = 10
RATES = (0.05, 0.02)  # a schedule: each epoch's rate, set on the optimizer before it starts
CONFIG = DEFAULTS.replace(lr=RATES[0], train_size=2_000)
FAST = ("hand-step", "torchscript-epoch", "batched")


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.Tanh(), nn.Linear(32, 10))


FAMILIES = {  # name -> (a fresh model, images per example, the engines besides autograd that train it on a CPU)
    "SimpleNet2 ReLU": (lambda: models.build(variant("SimpleNet2", depth=1, activation="ReLU")), 1,
                        {"hand-step", "torchscript-epoch", "batched"}),
    "SimpleNet2 PReLU": (lambda: models.build(variant("SimpleNet2", depth=1, activation="PReLU")), 1, {"hand-step"}),
    "LeNet5": (lambda: models.build(variant("LeNet5", activation="tanh")), 1, {"hand-step", "batched"}),
    "nn.Sequential MLP": (_mlp, 1, {"hand-step", "torchscript-epoch", "batched"}),
    "residual MLP": (engine_models.ResidualMLP, 1, set()),
    "Siamese": (engine_models.Siamese, 2, set()),
    "Conv1d net": (engine_models.conv1d_net, 1, set()),
    "Conv3d net": (engine_models.conv3d_net, 1, set()),
}
SINGLE_PAIRS = [(family, engine) for family, (_, _, fast) in FAMILIES.items()
                for engine in ("autograd", *sorted(fast - {"batched"}))]


@pytest.fixture(scope="module")
def splits(data_dir) -> data.Splits:
    return data.make_splits(data.load_idx(data.idx_folder(data_dir, "mnist")), CONFIG, CPU)


@pytest.fixture(scope="module")
def pair_splits(splits) -> data.Splits:
    """Two-digit examples: each image beside its neighbour, labelled by their sum mod 10."""
    parts = [engine_models.pairs(x, y) for x, y in
             ((splits.train_x, splits.train_y), (splits.val_x, splits.val_y), (splits.test_x, splits.test_y))]
    return data.Splits(*(tensor for part in parts for tensor in part), source="pairs")


def _model(family: str, seed: int = SEED) -> nn.Module:
    torch.manual_seed(seed)
    return loop.place(FAMILIES[family][0](), CPU)


def _state(model: nn.Module, engine, seed: int = SEED) -> loop.RunState:
    optimizer = loop.make_optimizer(model, CONFIG)
    trainer = engine.build(model, optimizer, CONFIG, loop.LOSSES["cross_entropy"])
    return loop.RunState(model=model, optimizer=optimizer, order=torch.Generator().manual_seed(seed),
                         step=trainer.step, engine=engine.name, whole_epoch=trainer.whole_epoch)


def _set_rate(state: loop.RunState, lr: float) -> None:
    for group in state.optimizer.param_groups:
        group["lr"] = lr


def _engine(name: str):
    return next(engine for engine in engines.ALL if engine.name == name)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_engine_supports_the_families_it_can_prove_and_says_why_not_in_one_line(family):
    answers = engines.reasons(_model(family), CONFIG, CPU)
    assert {name for name, reason in answers.items() if reason is None} == {"autograd"} | FAMILIES[family][2]
    for reason in answers.values():
        assert reason is None or (reason.strip() and "\n" not in reason)
    expected = "torchscript-epoch" if "torchscript-epoch" in FAMILIES[family][2] else (
        "hand-step" if "hand-step" in FAMILIES[family][2] else "autograd")
    assert engines.select(_model(family), CONFIG, CPU).name == expected
    assert engines.select(_model(family), CONFIG, CPU, fast=False).name == "autograd"


@pytest.mark.slow  # trains every family, the zoo conv nets included, with every engine that supports it
@pytest.mark.parametrize("family, engine", SINGLE_PAIRS, ids=[f"{f}-{e}" for f, e in SINGLE_PAIRS])
def test_an_engine_trains_a_family_it_supports_to_autograds_weights_bit_for_bit(family, engine, splits, pair_splits):
    examples = pair_splits if FAMILIES[family][1] == 2 else splits
    reference, candidate = _state(_model(family), engines.autograd), _state(_model(family), _engine(engine))
    losses = []
    for lr in RATES:  # the rate changes between epochs, as a schedule changes it
        for state in (reference, candidate):
            _set_rate(state, lr)
        losses.append(loop.train_epoch(reference, examples, CONFIG))
        assert loop.train_epoch(candidate, examples, CONFIG) == losses[-1]
    for (key, want), got in zip(reference.model.state_dict().items(), candidate.model.state_dict().values()):
        assert torch.equal(want, got), key
    assert losses[1] < losses[0]  # it learns


BATCHED = [family for family, (_, _, fast) in FAMILIES.items() if "batched" in fast]


@pytest.mark.parametrize("family", [pytest.param(family, marks=pytest.mark.slow) if family == "LeNet5" else family
                                    for family in BATCHED])  # a conv net's steps, batched and alone
def test_batched_training_keeps_each_model_within_float_rounding_of_autograd_alone(family, splits):
    # Tolerance: batched matrix products and grouped convolutions add up in another order, so
    # after 40 steps each weight is within rtol 1e-4 / atol 1e-5 of its twin's, each epoch's
    # mean loss within 1e-5 relative.
    seeds = (SEED, 271828)
    alone = [_state(_model(family, seed), engines.autograd, seed) for seed in seeds]
    together = [_state(_model(family, seed), engines.autograd, seed) for seed in seeds]
    stacked = engines.batched.StackedModels(together, CONFIG)
    for lr in RATES:
        for state in alone + together:
            _set_rate(state, lr)
        losses = stacked.train_epoch(splits)
        for state, loss in zip(alone, losses):
            assert loop.train_epoch(state, splits, CONFIG) == pytest.approx(loss, rel=1e-5)
    stacked.copy_to_models()
    for single, twin in zip(alone, together):
        for (key, want), got in zip(single.model.state_dict().items(), twin.model.state_dict().values()):
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5, msg=key)


def _batches(splits, two_images: bool = False):
    for start in range(0, STEPS * 100, 100):
        x, y = splits.train_x[start : start + 100], splits.train_y[start : start + 100]
        yield engine_models.pairs(x, y) if two_images else (x, y)


@pytest.mark.parametrize("model, two_images", [
    (engine_models.ResidualMLP(), False),
    (engine_models.Siamese(), True),
    (models.build(variant("SimpleNet2", depth=1, activation="tanh")), False),
], ids=["residual MLP", "Siamese", "SimpleNet2"])
def test_the_trainers_step_gives_autograds_weights_whatever_the_forward_even_with_a_rate_per_step(
        splits, model, two_images):
    # Before engines, the hand-written step took the residual MLP for the MLP its leaf layers
    # spell (other loss, other weights, no error) and crashed on the Siamese pair of images.
    reference, candidate = model, copy.deepcopy(model)
    plain = loop.make_step(reference, reference_optimizer := loop.make_optimizer(reference, CONFIG), CONFIG, fast=False)
    chosen = loop.make_step(candidate, candidate_optimizer := loop.make_optimizer(candidate, CONFIG), CONFIG)
    for i, (x, y) in enumerate(_batches(splits, two_images)):
        for optimizer in (reference_optimizer, candidate_optimizer):
            optimizer.param_groups[0]["lr"] = 0.05 * 0.8 ** i
        assert torch.equal(plain(x, y), chosen(x, y))
    for (key, want), got in zip(reference.state_dict().items(), candidate.state_dict().values()):
        assert torch.equal(want, got), key


class _NotAChain(models.SimpleNet2):
    def forward(self, x):  # inherits the declaration, not the promise
        h = self.layers[:3](x)
        return self.layers[3:](h + h)


def _hooked() -> nn.Module:
    model = _mlp()
    model[2].register_forward_hook(lambda module, inputs, output: output * 2)
    return model


def _shared() -> nn.Module:
    middle = nn.Linear(32, 32)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), middle, nn.Tanh(), middle, nn.Linear(32, 10))


def _frozen() -> nn.Module:
    model = _mlp()
    model[1].bias.requires_grad_(False)
    return model


@pytest.mark.parametrize("model, words", [
    (_NotAChain(depth=1), "forward is its own"),
    (_hooked(), "has hooks"),
    (_shared(), "used twice"),
    (_frozen(), "frozen"),
    (nn.Sequential(nn.Linear(28, 28), nn.Flatten(), nn.Linear(784, 10)), "after a Flatten only"),
    (nn.Sequential(nn.Flatten(), nn.Linear(784, 10, bias=False)), "with a bias"),
    (nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.Softplus(), nn.Linear(32, 10)), "does not know layer 2 (Softplus)"),
], ids=["subclass with its own forward", "forward hook", "shared layer", "frozen parameter",
        "linear before Flatten", "linear without bias", "unknown activation"])
def test_the_hand_written_step_declines_what_it_cannot_prove_with_a_reason(model, words):
    reason = engines.hand_step.supports(model, CONFIG, CPU)
    assert reason is not None and words in reason
    assert engines.select(model, CONFIG, CPU) is engines.autograd


@pytest.mark.parametrize("config, words", [
    (DEFAULTS.replace(optimizer="Adam"), "optimizer is Adam"),
    (DEFAULTS.replace(loss="mse"), "loss is mse"),
    (DEFAULTS.replace(momentum=0.9), "momentum is 0.9"),
    (DEFAULTS.replace(weight_decay=5e-4), "weight_decay is 0.0005"),
    (DEFAULTS.replace(momentum=0.0, weight_decay=0.0), None),
], ids=["Adam", "other loss", "momentum", "weight decay", "zero momentum and decay"])
def test_fast_engines_train_plain_sgd_on_cross_entropy_only(config, words):
    model = _mlp()
    for name in FAST:
        reason = _engine(name).supports(model, config, CPU)
        assert reason is None if words is None else words in reason
    assert engines.cuda_graphs.supports(model, DEFAULTS, CPU) == "CUDA graphs need a CUDA device; this run is on cpu"


def test_a_chain_lists_its_layers_in_the_order_its_forward_runs_them():
    lenet = models.build(variant("LeNet5", activation="tanh"))
    assert [name for name, _ in chain.layers(lenet)] == [name for name, _ in models.layers_in_order(lenet)]
    assert chain.reason(engine_models.ResidualMLP()).startswith("ResidualMLP's forward is its own")


@pytest.mark.parametrize("fast, engine", [(True, "torchscript-epoch"), (False, "autograd")])
def test_the_record_names_the_engine_and_whether_the_profiler_counted_every_forward(splits, tmp_path, fast, engine):
    task = Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), SEED, CONFIG.replace(epochs=1))
    record = loop.train(task, splits, CPU, tmp_path, progress=False, fast=fast)
    assert record["engine"] == engine and record["flops"]["profiler_complete"] is True
    path = records.record_path(tmp_path, task.investigation, task.variant.name, task.seed)
    assert records.load_record(path)["engine"] == engine
