"""Labels in words (battleground/site/labels.py): what legends, hovers and tables call a variant,
a device and a quantity."""

from __future__ import annotations

from battleground.core.config import DEFAULTS
from battleground.core.spec import variant
from battleground.site import labels
from experiments import node_budget, training_recipes


def test_an_activation_per_layer_reads_as_runs_and_equal_layers_as_a_product():
    deep = variant("MLP", widths=(100,) * 10, activation=node_budget.last_sigmoid((100,) * 10))
    assert labels.full(deep) == "MLP · ReLU ×9, then sigmoid · 10 × 100"
    assert labels.layers((950, 50)) == "950-50" and labels.layers((1000,)) == "1 × 1,000"
    assert labels.activation("none") == "no activation"
    assert labels.activation(("ReLU", "sigmoid", "ReLU")) == "ReLU, then sigmoid, then ReLU"
    # in a narrow column a label breaks between its aspects, after a comma in a list or between
    # two plain words, never inside a quantity
    assert labels.unbroken("ReLU ×9, then sigmoid · 10 × 100") == "ReLU\u00a0×9, then sigmoid · 10\u00a0×\u00a0100"
    assert labels.unbroken("StepLR every 20 epochs · constant lr") == "StepLR every\u00a020\u00a0epochs · constant lr"
    assert labels.unbroken("SGD, momentum 0.9 · lr 0.01") == "SGD, momentum\u00a00.9 · lr\u00a00.01"
    assert labels.unbroken("1 × 1,000") == "1\u00a0×\u00a01,000"  # a comma inside a number has no space after it


def test_a_legend_says_only_what_differs_and_names_every_number():
    vs = [variant("SimpleNet2", depth=d, activation=a) for d in (0, 3) for a in ("ReLU", "tanh")]
    assert list(labels.labels(vs).values()) == ["ReLU · depth 0", "tanh · depth 0", "ReLU · depth 3", "tanh · depth 3"]
    rates = [variant("SimpleNet2", depth=0, activation="ReLU", lr=lr) for lr in (0.001, 0.01)]
    assert list(labels.labels(rates).values()) == ["lr 0.001", "lr 0.01"]
    # several families: each label starts with its family
    mixed = [variant("SimpleNet2", depth=0, activation="ReLU"), variant("LeNet5", activation="ReLU")]
    assert list(labels.labels(mixed).values()) == ["SimpleNet2", "LeNet5"]
    # one variant alone reads in full, without the family defaults it leaves alone
    assert labels.labels(mixed[:1]) == {mixed[0].name: "SimpleNet2 · ReLU · depth 0"}


def test_an_unset_setting_is_never_written_as_none():
    with_momentum = variant("MLP", widths=(1000,), optimizer="SGD", lr=0.01, momentum=0.9)
    adam = variant("MLP", widths=(1000,), optimizer="Adam", lr=0.001)
    found = labels.labels([with_momentum, adam])
    assert found == {with_momentum.name: "SGD, momentum 0.9 · lr 0.01", adam.name: "Adam · lr 0.001"}
    stepped = training_recipes.mlp("mnist", activation="sigmoid", schedule="StepLR", step_size=30)
    constant = training_recipes.mlp("mnist", activation="ReLU")
    assert labels.against(constant, stepped) == "ReLU · constant lr"
    assert labels.against(stepped, constant) == "sigmoid · StepLR every 30 epochs"
    every = " ".join(labels.labels(training_recipes.INVESTIGATION.variants).values())
    assert "None" not in every and "=" not in every


def test_a_comparison_row_says_what_the_variant_changes_from_the_baseline():
    base = training_recipes.mlp("fashion-mnist", activation="sigmoid", schedule="StepLR", step_size=30)
    plain = training_recipes.mlp("fashion-mnist", optimizer="SGD", init="default", zero_bias=False)
    assert labels.against(plain, base) == "ReLU · SGD · constant lr · default init"
    assert labels.against(base, base) == "same settings"
    assert labels.full(base, DEFAULTS) == ("MLP · sigmoid · 256-128-64 · Fashion-MNIST · Adam · lr 0.001 · "
                                           "StepLR every 30 epochs · He init, zero biases")


def test_devices_and_quantities_read_as_words_with_a_space_before_the_unit():
    assert labels.device("AMD EPYC 7B13 (1 threads)") == "AMD EPYC 7B13, 1 thread"
    assert labels.device("AMD EPYC (2 threads)") == "AMD EPYC, 2 threads"
    assert labels.device("NVIDIA H100 80GB HBM3") == "NVIDIA H100 80GB HBM3"
    assert labels.quantity(594.5e9, "FLOPs") == "594.5 GFLOPs"
    assert labels.quantity(19_176_000_000) == "19.18 G" and labels.quantity(None) == "–"
    assert labels.quantity(12, "s") == "12 s"
