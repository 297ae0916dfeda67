"""Declarations: a variant's training settings (an lr sweep) reach its tasks, and a bad one is
named where it is written."""

from __future__ import annotations

import math

import pytest

from battleground.core.config import DEFAULTS, TrainConfig
from battleground.core.spec import Investigation, Task, variant

LRS = (1e-3, 1e-2, 5e-2)
LR_SWEEP = Investigation(
    "lr-sweep", "Which learning rate?", seeds=(1729, 271828), config=DEFAULTS.replace(epochs=3),
    variants=tuple(variant("SimpleNet2", depth=0, activation="ReLU", lr=lr) for lr in LRS),
)


def test_a_variant_with_a_learning_rate_is_named_by_it_and_its_tasks_train_with_it():
    assert [v.name for v in LR_SWEEP.variants] == [
        "SimpleNet2[activation=ReLU,depth=0,lr=0.001]",
        "SimpleNet2[activation=ReLU,depth=0,lr=0.01]",
        "SimpleNet2[activation=ReLU,depth=0,lr=0.05]",
    ]
    swept = LR_SWEEP.variants[1]
    assert swept.model_kwargs == {"activation": "ReLU", "depth": 0} and swept.training == {"lr": 0.01}
    assert swept.kwargs == {"activation": "ReLU", "depth": 0, "lr": 0.01}  # what charts facet by
    tasks = LR_SWEEP.tasks()
    assert [(t.variant, t.seed, t.config.lr) for t in tasks] == [(v, s, lr) for v, lr in zip(LR_SWEEP.variants, LRS)
                                                                  for s in LR_SWEEP.seeds]
    assert all(t.config == DEFAULTS.replace(epochs=3, lr=t.config.lr) for t in tasks)  # the rest as declared
    smoke = LR_SWEEP.tasks([swept], [1729], DEFAULTS.replace(epochs=1, lr=0.5))
    assert smoke[0].config.lr == 0.01 and smoke[0].config.epochs == 1  # the variant's own lr wins


@pytest.mark.parametrize("lr, found", [(0, "0"), (-0.01, "-0.01"), ("0.01", "'0.01'"), (True, "True"),
                                       (math.inf, "inf"), (None, "None")])
def test_a_bad_learning_rate_is_refused_naming_the_variant_the_setting_and_what_was_expected(lr, found):
    with pytest.raises(ValueError) as error:
        variant("SimpleNet2", depth=0, activation="ReLU", lr=lr)
    assert str(error.value) == (f"variant SimpleNet2[activation=ReLU,depth=0,lr={lr}]: training setting 'lr': "
                                f"expected a positive number, found {found}")


def test_a_config_refuses_a_wrong_type_or_value_where_it_is_made():
    with pytest.raises(ValueError, match=r"training setting 'batch_size': expected a positive whole number, found 0"):
        DEFAULTS.replace(batch_size=0)
    with pytest.raises(ValueError, match=r"training setting 'epochs': expected a positive whole number or None"):
        TrainConfig(epochs=2.5)
    with pytest.raises(ValueError, match=r"unknown training setting\(s\) \['learning_rate'\]"):
        DEFAULTS.replace(learning_rate=0.01)


def test_a_task_whose_config_contradicts_its_variants_learning_rate_is_refused():
    with pytest.raises(ValueError, match=r"SimpleNet2\[activation=ReLU,depth=0,lr=0.01\] has config lr=0.001; "
                                         r"the variant sets 0.01"):
        Task("lr-sweep", LR_SWEEP.variants[1], 1729, DEFAULTS)


@pytest.mark.parametrize("seed", [-1, 2**64, -(2**63)])
def test_a_seed_torch_would_wrap_is_refused(seed):
    with pytest.raises(ValueError, match="expected a whole number from 0 to 18446744073709551615"):
        Task("x", variant("SimpleNet2", depth=0, activation="ReLU"), seed, DEFAULTS)
