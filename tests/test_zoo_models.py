"""The network zoo's models: weights, memory and layers of a few networks counted by hand, and
every family of the zoo builds, runs and is the catalogue's."""

from __future__ import annotations

import pytest
import torch

from battleground.core import catalogue, zoo
from battleground.core.spec import variant
from battleground.train import models

MNIST = (1, 28, 28)

# (variant, weights, memory, operations), each counted by hand below
HAND_COUNTED = [
    # 784 -> 10: 7,850 weights; the input (784) and the logits (10); one layer
    (variant("Basic"), 7_850, 794, 1),
    # 784 -> 100 -> ReLU -> 10: 78,500 + 1,010 weights; 784 + 100 + 100 + 10; linear, ReLU, linear
    (variant("ZooLinear", widths=(100,), activation="ReLU"), 79_510, 994, 3),
    # conv 1 -> 4, 3x3, stride 2: 4 x 14 x 14 = 784 elements, 4 x 9 + 4 = 40 weights; tanh 784;
    # linear 784 -> 10: 7,850 weights, 10 elements
    (variant("ZooConv2d", channels=(4,), kernel=3, activation="tanh"), 7_890, 784 + 784 + 784 + 10, 3),
    # the activation "none" is no layer and makes no tensor
    (variant("ZooConv2d", channels=(4,), kernel=3, activation="none"), 7_890, 784 + 784 + 10, 2),
    # rows as a sequence: 28 channels x 28 positions; conv 28 -> 8, kernel 5: 8 x 14 (1,128 weights);
    # conv 8 -> 16: 16 x 7 (656); linear 112 -> 32 (3,616); linear 32 -> 10 (330)
    (variant("ZooConv1dThenLinear", channels=(8, 16), kernel=5, widths=(32,), activation="ReLU"),
     1_128 + 656 + 3_616 + 330, 784 + 2 * 112 + 2 * 112 + 2 * 32 + 10, 7),
    # stem conv 1 -> 4 (36, no bias), BN (8), act: 3 x 784 elements; block 4 -> 4: two convs (144
    # each), two BNs (8 each), two acts and the sum: 7 x 784; pool 4, linear 4 -> 10 (50): 4 + 10
    (variant("ZooResNet", channels=(4,), activation="ReLU"), 36 + 8 + 2 * 144 + 2 * 8 + 50,
     784 + 3 * 784 + 7 * 784 + 4 + 10, 3 + 7 + 2),
]


@pytest.mark.parametrize("declared,weights,memory,operations", HAND_COUNTED, ids=lambda v: getattr(v, "name", ""))
def test_weights_memory_and_layers_of_a_few_networks_match_the_hand_count(declared, weights, memory, operations):
    torch.manual_seed(0)
    model = models.build(declared)
    assert models.parameter_count(model) == weights
    assert models.footprint(model, MNIST) == (memory, operations)


def test_footprint_leaves_the_model_and_its_batch_statistics_as_they_were():
    torch.manual_seed(0)
    model = models.build(variant("ZooResNet", channels=(4, 8), activation="ReLU")).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    models.footprint(model, MNIST)
    assert model.training and all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not any(layer._forward_hooks for layer in model.modules())


def test_the_zoo_families_are_the_catalogues_and_the_first_network_of_every_cell_runs():
    assert list(models.ZOO_FAMILIES) == list(catalogue.ZOO_FAMILIES)
    for computation in catalogue.ZOO_COMPUTATIONS:
        for activation in catalogue.ZOO_ACTIVATIONS:
            network = zoo.cell(computation, activation, 1)[0]
            model = models.build(network.variant)
            assert model(torch.zeros(2, *MNIST)).shape == (2, 10), network.variant.name
