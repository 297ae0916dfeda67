"""The digit-pairs investigation: its pairs, its models, its FLOPs and its auxiliary loss, on the
real MNIST files."""

from __future__ import annotations

import pytest
import torch

import experiments
from battleground.core.config import DEFAULTS
from battleground.core.spec import Investigation, Task, variant
from battleground.train import data, flops, loop, models, problems

CPU = torch.device("cpu")
PAIRS = DEFAULTS.replace(problem="digit-pairs", pairs=1_000, downsample=2, optimizer="Adam", batch_size=250)
SHAPE = {"input_shape": (2, 14, 14), "classes": 2, "digit_classes": 10}


@pytest.fixture(scope="module")
def mnist(data_dir) -> data.Arrays:
    return data.load_idx(data.idx_folder(data_dir, "mnist"))


def _pairs(mnist, seed, config=PAIRS):
    return problems.for_config(config).make_splits(mnist, CPU, seed)


def test_each_seed_draws_its_own_pairs_the_same_every_time(mnist):
    first, again, other = _pairs(mnist, 1), _pairs(mnist, 1), _pairs(mnist, 2)
    for part in ("train", "val", "test"):
        assert torch.equal(first.part(part)["x"], again.part(part)["x"])
        assert not torch.equal(first.part(part)["digits"], other.part(part)["digits"])
    assert first.train_x.shape == first.val_x.shape == first.test_x.shape == (1_000, 2, 14, 14)


@pytest.mark.slow  # compares every pair image with every image of its split
def test_pairs_are_distinct_images_of_their_own_split_pooled_to_14_by_14(mnist):
    splits = _pairs(mnist, 3)
    single = data.make_splits(mnist, PAIRS, CPU)
    for part in ("train", "val", "test"):
        images = getattr(single, f"{part}_x")
        pooled = torch.nn.functional.avg_pool2d(images, 2).flatten(1)
        pair_images = getattr(splits, f"{part}_x").flatten(0, 1).flatten(1)  # (2000, 196)
        assert len(torch.unique(pair_images, dim=0)) == 2_000, part  # no image in two pairs
        # every image of the pairs is one of this split's images, pooled 2 x 2
        found = torch.cdist(pair_images, pooled, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values
        assert found.max().item() < 1e-5, part


def test_pairs_are_labelled_first_greater_about_45_percent_with_10_percent_ties(mnist):
    # Uniform digits: P(first > second) = 45/100, a tie 10/100; MNIST's classes are near uniform.
    for seed in (1, 2, 3):
        splits = _pairs(mnist, seed)
        for part in ("train", "test"):
            digits, y = splits.extras[part]["digits"], getattr(splits, f"{part}_y")
            assert torch.equal(y, (digits[:, 0] > digits[:, 1]).long())
            assert 0.40 < y.float().mean().item() < 0.50, (seed, part)
            assert 0.07 < (digits[:, 0] == digits[:, 1]).float().mean().item() < 0.13, (seed, part)


def test_asking_for_more_pairs_than_a_split_holds_names_the_split(mnist):
    with pytest.raises(data.DataError, match="pairs=1001 needs 2002 distinct test images; the test split has 2000"):
        _pairs(mnist, 1, PAIRS.replace(pairs=1_001))
    with pytest.raises(data.DataError, match="downsample=3 does not divide the images' 28 x 28"):
        _pairs(mnist, 1, PAIRS.replace(downsample=3))
    with pytest.raises(ValueError, match="pairs is a setting of problem digit-pairs"):
        DEFAULTS.replace(pairs=10)
    with pytest.raises(ValueError, match="draws each run's data from its seed"):
        problems.for_config(PAIRS).make_splits(mnist, CPU)


# Hand counts: parameters, and multiply-adds of one input's forward pass through each layer.
FCNN_MACS = (392 * 1000, 1000 * 1000, 1000 * 2)
CONVNET_MACS = (8 * 12 * 12 * 2 * 3 * 3, 16 * 8 * 8 * 8 * 5 * 5, 16 * 4 * 4 * 16 * 5 * 5, 256 * 2)
CONVNET4_MACS = CONVNET_MACS[:3] + (2 * 16 * 4 * 4,)  # the fourth convolution: 16 -> 2 channels, kernel 4 x 4
SIAMESE_MACS = (8 * 12 * 12 * 1 * 3 * 3,) + CONVNET_MACS[1:3] + (256 * 10,)  # per image; the head is 20 -> 2
CASES = {  # variant -> (parameters, MACs per input by layer, first layer's MACs, extra MACs per input)
    "fcnn": (variant("MLP", widths=(1000, 1000)), 392 * 1000 + 1000 + 1000 * 1000 + 1000 + 1000 * 2 + 2,
             FCNN_MACS),
    "fcnn-bn-dropout": (variant("MLP", widths=(1000, 1000), batch_norm=True, dropout=0.5),
                        392 * 1000 + 1000 + 1000 * 1000 + 1000 + 1000 * 2 + 2 + 4 * 1000, FCNN_MACS),
    "cnn": (variant("ConvNet", convs=3), 8 * 2 * 9 + 8 + 16 * 8 * 25 + 16 + 16 * 16 * 25 + 16 + 256 * 2 + 2,
            CONVNET_MACS),
    "cnn4-bn": (variant("ConvNet", convs=4, batch_norm=True),
                8 * 2 * 9 + 8 + 16 * 8 * 25 + 16 + 16 * 16 * 25 + 16 + 2 * 16 * 16 + 2 + 2 * (8 + 16 + 16),
                CONVNET4_MACS),
}


@pytest.mark.parametrize("name", CASES)
def test_a_models_output_parameters_and_complete_flops_per_step_match_a_hand_count(name):
    declared, parameters, macs = CASES[name]
    model = models.build(declared, SHAPE)
    assert models.parameter_count(model) == parameters
    batch = 250
    x, y = torch.rand(batch, 2, 14, 14), torch.randint(0, 2, (batch,))
    assert model(x).shape == (batch, 2)
    optimizer = torch.optim.Adam(model.parameters())
    counted = flops.complete_flops(lambda: loop.training_step(model, optimizer, torch.nn.functional.cross_entropy, x, y))
    # forward 2 FLOPs a multiply-add; backward the weights' gradients of every layer and the
    # inputs' gradients of every layer but the first (the images need none)
    assert counted == 2 * batch * (3 * sum(macs) - macs[0])


def test_a_siamese_nets_two_branches_are_one_parameter_set():
    model = models.build(variant("SiameseNet", branch="ConvNet"), SHAPE)
    branch = sum(p.numel() for p in model.branch.parameters())
    assert branch == 8 * 9 + 8 + 16 * 8 * 25 + 16 + 16 * 16 * 25 + 16 + 256 * 10 + 10  # one branch, not two
    assert models.parameter_count(model) == branch + 20 * 2 + 2
    x = torch.rand(5, 2, 14, 14)
    out, swapped = model(x), model(x.flip(1))
    assert out["logits"].shape == (5, 2) and out["digits"].shape == (5, 2, 10)
    assert torch.allclose(swapped["digits"], out["digits"].flip(1))  # the same weights read either image
    batch = 250
    optimizer = torch.optim.Adam(model.parameters())
    x, y = torch.rand(batch, 2, 14, 14), torch.randint(0, 2, (batch,))
    loss = problems.for_config(PAIRS).loss
    counted = flops.complete_flops(lambda: loop.training_step(model, optimizer, loss, x, y))
    assert counted == 2 * (2 * batch) * (3 * sum(SIAMESE_MACS) - SIAMESE_MACS[0]) + 2 * batch * 3 * 20 * 2


@pytest.mark.slow  # trains a siamese net for six epochs, twice
@pytest.mark.parametrize("aux", (True, False))
def test_the_auxiliary_loss_teaches_the_branch_the_digits_only_when_it_is_on(mnist, tmp_path, aux):
    config = PAIRS.replace(pairs=500, epochs=6, lr=5e-3, aux_weight=1.0 if aux else 0.0)
    task = Task("t", variant("SiameseNet", branch="ConvNet"), 1, config)
    problem = problems.for_config(config)
    record = loop.train(task, problem.make_splits(mnist, CPU, 1), CPU, tmp_path, progress=False)
    digit_accuracy = record["epochs"]["val_digit_accuracy"][-1]
    if aux:
        assert digit_accuracy > 0.6  # taught, the ten outputs are the digit
    else:
        assert digit_accuracy < 0.35  # nothing asks the outputs to be the digit: near chance (0.1)


def test_the_investigation_declares_the_originals_grid_and_repeats():
    inv = experiments.get("digit-pairs")
    families = [v.family for v in inv.variants]
    assert families.count("MLP") == 12 and families.count("ConvNet") == 12 and families.count("ResNet") == 1
    assert families.count("SiameseNet") == 4
    assert {len(inv.seeds_of(v)) for v in inv.variants if v.family in ("MLP", "ConvNet")} == {15}
    assert {len(inv.seeds_of(v)) for v in inv.variants if v.family in ("ResNet", "SiameseNet")} == {10}
    assert inv.run_count == 24 * 15 + 5 * 10 == len(inv.tasks())
    rates = {(v.family, v.kwargs.get("dropout", 0.0) > 0): v.training["lr"] for v in inv.variants}
    assert rates == {("MLP", False): 1e-3, ("MLP", True): 2e-4, ("ConvNet", False): 4e-4,
                     ("ResNet", False): 5e-3, ("SiameseNet", False): 5e-3}
    assert inv.config.optimizer == "Adam" and inv.config.batch_size == 250 and inv.config.epochs == 50


def test_variant_seeds_must_name_a_variant_and_seeds():
    declared = variant("ConvNet")
    with pytest.raises(ValueError, match="variant_seeds names 'MLP', which is not one of the variants"):
        Investigation("x", "?", (declared,), seeds=(1, 2), variant_seeds=(("MLP", (1,)),))
    with pytest.raises(ValueError, match="seed -3 of ConvNet"):
        Investigation("x", "?", (declared,), seeds=(1, 2), variant_seeds=((declared.name, (-3,)),))


def test_an_auxiliary_loss_on_a_model_without_digit_logits_names_one_that_has_them():
    problem = problems.for_config(PAIRS.replace(aux_weight=1.0))
    model = models.build(variant("ConvNet"), SHAPE)  # logits only
    x, y = torch.rand(4, 2, 14, 14), torch.randint(0, 2, (4,))
    with pytest.raises(ValueError, match="aux_weight > 0 needs a model that returns digit logits, e.g. SiameseNet"):
        problem.loss(model(x), y, digits=torch.randint(0, 10, (4, 2)))
