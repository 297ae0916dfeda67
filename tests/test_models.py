"""The model families use exactly the activation they are named with, in every hidden position."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from battleground.train import models
from battleground.core.spec import ACTIVATIONS, variant

# Written out here, not read from models.py, so a wrong entry there fails these tests.
EXPECTED_LAYER = {
    "none": nn.Identity, "ReLU": nn.ReLU, "ELU": nn.ELU, "LeakyReLU": nn.LeakyReLU, "PReLU": nn.PReLU,
    "SiLU": nn.SiLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "SELU": nn.SELU, "GELU": nn.GELU,
}
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
REFERENCE = {  # each activation from its formula
    "none": lambda x: x,
    "ReLU": lambda x: torch.where(x > 0, x, torch.zeros_like(x)),
    "ELU": lambda x: torch.where(x > 0, x, torch.exp(x) - 1),
    "LeakyReLU": lambda x: torch.where(x > 0, x, 0.01 * x),
    "PReLU": lambda x: torch.where(x > 0, x, 0.25 * x),  # its learned slope starts at 0.25
    "SiLU": lambda x: x / (1 + torch.exp(-x)),
    "sigmoid": lambda x: 1 / (1 + torch.exp(-x)),
    "tanh": lambda x: (torch.exp(2 * x) - 1) / (torch.exp(2 * x) + 1),
    "SELU": lambda x: SELU_SCALE * torch.where(x > 0, x, SELU_ALPHA * (torch.exp(x) - 1)),
    "GELU": lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2))),
}
FAMILY_CASES = [("SimpleNet2", {"depth": 0}), ("SimpleNet2", {"depth": 2}), ("LeNet5", {})]


def _leaves(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if not list(m.children())]


def _build(family, params, activation):
    torch.manual_seed(0)
    return models.build(variant(family, activation=activation, **params))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("family, params", FAMILY_CASES)
def test_every_hidden_layer_is_followed_by_the_named_activation(family, params, activation):
    leaves = _leaves(_build(family, params, activation))
    layers = [i for i, m in enumerate(leaves) if isinstance(m, (nn.Linear, nn.Conv2d))]
    hidden, output = layers[:-1], layers[-1]
    assert len(hidden) == (params["depth"] + 1 if family == "SimpleNet2" else 4)
    for i in hidden:
        assert type(leaves[i + 1]) is EXPECTED_LAYER[activation], f"after {leaves[i]}"
    assert output == len(leaves) - 1  # the logits are not squashed
    activations = [m for m in leaves if type(m) is EXPECTED_LAYER[activation]]
    assert len(activations) == len(hidden)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("family, params", FAMILY_CASES)
def test_the_first_hidden_layers_output_is_transformed_by_the_named_function(family, params, activation):
    model = _build(family, params, activation)
    leaves = _leaves(model)
    first = next(m for m in leaves if isinstance(m, (nn.Linear, nn.Conv2d)))
    second = next(m for m in leaves if isinstance(m, (nn.Linear, nn.Conv2d, nn.AvgPool2d)) and m is not first)
    seen = {}
    first.register_forward_hook(lambda module, inputs, output: seen.setdefault("pre", output))
    second.register_forward_pre_hook(lambda module, inputs: seen.setdefault("post", inputs[0]))
    model(torch.rand(8, 1, 28, 28) * 4 - 2)
    pre, post = seen["pre"].double(), seen["post"].double()
    assert (pre < -0.1).any() and (pre > 0.1).any()  # both signs reach the activation
    assert torch.allclose(post, REFERENCE[activation](pre), atol=1e-5)
    if activation != "tanh":
        assert not torch.allclose(post, torch.tanh(pre), atol=1e-3)


def test_relu_lenet5_zeroes_negative_pre_activations_rather_than_squashing_them():
    model = _build("LeNet5", {}, "ReLU")
    seen = {}
    model.features[0].register_forward_hook(lambda module, inputs, output: seen.setdefault("pre", output))
    model.features[2].register_forward_pre_hook(lambda module, inputs: seen.setdefault("post", inputs[0]))
    model(torch.rand(4, 1, 28, 28))
    negative = seen["pre"] < 0
    assert negative.any()
    assert (seen["post"][negative] == 0).all()
    assert torch.equal(seen["post"][~negative], seen["pre"][~negative])


@pytest.mark.parametrize(
    "family, params, parameters",
    [
        ("SimpleNet2", {"depth": 0, "activation": "ReLU"}, 784 * 100 + 100 + 100 * 10 + 10),
        ("SimpleNet2", {"depth": 1, "activation": "ReLU"}, 79_510 + 100 * 100 + 100),
        ("SimpleNet2", {"depth": 0, "width": 10, "activation": "ReLU"}, 784 * 10 + 10 + 10 * 10 + 10),
        ("SimpleNet2", {"depth": 1, "activation": "PReLU"}, 89_610 + 2),  # one slope per layer
        # conv 1->6 k5, conv 6->16 k5, conv 16->120 k5, fc 120->84, fc 84->10, with biases
        ("LeNet5", {"activation": "tanh"}, 156 + 2_416 + 48_120 + 10_164 + 850),
        ("LeNet5", {"activation": "PReLU"}, 61_706 + 4),
    ],
)
def test_parameter_counts_match_the_architecture(family, params, parameters):
    model = models.build(variant(family, **params))
    assert models.parameter_count(model) == parameters
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_full_params_fill_in_the_family_defaults():
    assert models.full_params(variant("SimpleNet2", depth=0, activation="ReLU")) == {
        "activation": "ReLU", "depth": 0, "width": 100,
    }
    assert models.full_params(variant("LeNet5", activation="tanh")) == {"activation": "tanh"}


def test_a_variants_learning_rate_is_not_the_models_and_a_parameter_the_family_lacks_is_named():
    swept = variant("SimpleNet2", depth=0, activation="ReLU", lr=0.01)
    assert models.full_params(swept) == {"activation": "ReLU", "depth": 0, "width": 100}
    assert models.parameter_count(models.build(swept)) == 79_510
    with pytest.raises(ValueError, match=r"variant LeNet5\[activation=tanh,depth=2\]: .*'depth'; LeNet5 takes "
                                         r"activation, and a variant may also set the training settings .*lr"):
        variant("LeNet5", activation="tanh", depth=2)  # the catalogue checks it where it is declared


def test_the_same_seed_builds_the_same_weights():
    first, second = (_build("LeNet5", {}, "tanh").state_dict() for _ in range(2))
    assert all(torch.equal(first[name], second[name]) for name in first)
