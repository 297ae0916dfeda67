"""The fast paths on real MNIST: batched training agrees with training alone, the sweep batches
same-shape tasks (seeds and learning rates), and ``battleground bench`` runs end to end. Speed
itself is measured by ``battleground bench``, not asserted here."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest
import torch

from battleground.train import bench, data, group, local, loop
from battleground.train.engines import batched
from battleground.core import benchmarks, records
from battleground.core.config import TrainConfig
from battleground.train.cli import main
from battleground.site import runs as site_runs
from battleground.core.spec import Investigation, Task, Variant, variant

CPU = torch.device("cpu")
SEEDS = (1729, 271828, 314159)
LRS = (1e-2, 5e-2, 2e-1)  # each learns (1e-3 barely moves in 300 steps), each differently
BAND_LR = 5e-2  # a seed band's rate: models that learn make agreeing with a twin mean something
EPOCHS = 5
CONFIG = TrainConfig(train_size=6_000, epochs=EPOCHS)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # The suite runs on two busy cores under xdist: one intra-op thread per worker avoids the
    # oversubscription that makes each small op wait a scheduler slice.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def splits(data_dir) -> data.Splits:
    return data.make_splits(data.load_idx(data.idx_folder(data_dir, "mnist")), CONFIG, CPU)


@torch.no_grad()
def _predictions(model: torch.nn.Module, splits: data.Splits) -> torch.Tensor:
    model.eval()
    return model(splits.val_x).argmax(dim=1)


def _task(family: str, params: dict, seed: int, lr: float) -> Task:
    """A task of the variant's ``lr=`` variant."""
    return Task("test", variant(family, **params, lr=lr), seed, CONFIG.replace(lr=lr))


@pytest.mark.parametrize("family, params, runs", [
    ("SimpleNet2", {"depth": 1, "activation": "ReLU"}, [(seed, BAND_LR) for seed in SEEDS]),
    ("SimpleNet2", {"depth": 1, "activation": "ReLU"}, [(SEEDS[0], lr) for lr in LRS]),  # one seed: only lr differs
    ("LeNet5", {"activation": "tanh"}, [(seed, BAND_LR) for seed in SEEDS[:2]]),  # K = 2 keeps the conv net affordable
], ids=["SimpleNet2 seeds", "SimpleNet2 learning rates", "LeNet5 seeds"])
@pytest.mark.slow  # trains each model five epochs, batched and alone
def test_a_model_trained_in_a_batch_agrees_with_it_trained_alone(family, params, runs, splits):
    tasks = [_task(family, params, seed, lr) for seed, lr in runs]
    in_batch = [loop.init_state(task, CPU) for task in tasks]
    alone = [loop.init_state(task, CPU) for task in tasks]
    stacked = batched.StackedModels(in_batch, tasks[0].config)
    for _ in range(EPOCHS):
        stacked.train_epoch(splits)
        stacked.copy_to_models()
        for together, single, task in zip(in_batch, alone, tasks):
            loop.train_epoch(single, splits, task.config)
            accuracies = [loop.evaluate(s.model, splits.val_x, splits.val_y, CONFIG).metrics["accuracy"]
                          for s in (together, single)]
            assert abs(accuracies[0] - accuracies[1]) <= 0.001  # 0.1 percentage point, every epoch
    predictions = [_predictions(together.model, splits) for together in in_batch]
    for prediction, single in zip(predictions, alone):
        same = (prediction == _predictions(single.model, splits)).float().mean()
        assert same.item() >= 0.999
    # The models of the batch really differ (by seed, or by learning rate alone), so agreeing
    # with each one's own twin is no accident of training them all alike.
    for a, b in itertools.combinations(predictions, 2):
        assert (a == b).float().mean().item() < 0.99


@pytest.mark.slow  # trains a seed band twice, batched and one by one
def test_the_sweep_batches_the_seeds_of_a_variant_and_writes_each_its_record(splits, data_dir, tmp_path):
    config = CONFIG.replace(train_size=2_000, epochs=2)
    tasks = [Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), seed, config) for seed in SEEDS[:2]]
    together = local.run_local(tasks, CPU, tmp_path / "a", data_dir=data_dir, progress=False, batch=True)
    one_by_one = local.run_local(tasks, CPU, tmp_path / "b", data_dir=data_dir, progress=False, batch=False)
    for task, record, single in zip(tasks, together, one_by_one):
        assert record["seed"] == single["seed"] == task.seed
        assert record["batched_models"] == 2 and "batched_models" not in single
        on_disk = records.load_record(records.record_path(tmp_path / "a", "test", task.variant.name, task.seed))
        assert on_disk["status"] == "complete" and on_disk["epochs"]["epoch"] == [1, 2]
        for key in ("model", "flops", "config", "data"):
            assert record[key] == single[key]
        assert record["epochs"]["train_loss"] == pytest.approx(single["epochs"]["train_loss"], rel=1e-5)


@pytest.mark.slow  # trains an lr sweep twice, batched and one by one
def test_the_sweep_batches_an_lr_sweep_and_each_record_keeps_its_lr_and_its_variant(data_dir, tmp_path):
    lr_sweep = Investigation(
        "test", "Which learning rate?", seeds=SEEDS[:1], config=CONFIG.replace(train_size=2_000, epochs=2),
        variants=tuple(variant("SimpleNet2", depth=0, activation="ReLU", lr=lr) for lr in LRS),
    )
    tasks = lr_sweep.tasks()
    together = local.run_local(tasks, CPU, tmp_path / "a", data_dir=data_dir, progress=False, batch=True)
    one_by_one = local.run_local(tasks, CPU, tmp_path / "b", data_dir=data_dir, progress=False, batch=False)
    for task, lr, record, single in zip(tasks, LRS, together, one_by_one):
        assert record["variant"] == task.variant.name and record["config"]["lr"] == lr
        assert record["model"]["params"] == {"activation": "ReLU", "depth": 0, "width": 100}  # the model's own
        assert record["batched_models"] == len(LRS) and "batched_models" not in single
        for key in ("model", "flops", "config", "data"):
            assert record[key] == single[key]
        assert record["epochs"]["train_loss"] == pytest.approx(single["epochs"]["train_loss"], rel=1e-5)
    assert len({record["epochs"]["train_loss"][-1] for record in together}) == len(LRS)

    # The site reads each record back as the very variant the investigation declares, lr and all;
    # a record whose variant is no longer declared still carries its lr, for legends and facets.
    warnings = []
    loaded = site_runs.load_investigation(lr_sweep, tmp_path / "a", warnings)
    assert warnings == []
    assert {run.record["variant"]: run.variant for run in loaded.runs} == {v.name: v for v in lr_sweep.variants}
    fewer = dataclasses.replace(lr_sweep, variants=lr_sweep.variants[:-1])
    undeclared = site_runs.load_investigation(fewer, tmp_path / "a", warnings).variants[-1]
    assert undeclared.name == lr_sweep.variants[-1].name and undeclared.kwargs["lr"] == LRS[-1]
    assert len(warnings) == 1 and "is not declared" in warnings[0]


def test_a_batch_of_other_models_or_other_settings_is_refused_naming_what_differs(tmp_path):
    one = Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), SEEDS[0], CONFIG)
    deeper = Task("test", variant("SimpleNet2", depth=1, activation="ReLU"), SEEDS[0], CONFIG)
    with pytest.raises(ValueError, match=r"one model; got SimpleNet2\[activation=ReLU,depth=0\] and "
                                         r"SimpleNet2\[activation=ReLU,depth=1\]"):
        group.train_group([one, deeper], None, CPU, tmp_path)
    smaller_batches = Task("test", one.variant, SEEDS[1], CONFIG.replace(batch_size=50))
    with pytest.raises(ValueError, match=r"one config but for lr; .* differ in batch_size \(100 and 50\)"):
        group.train_group([one, smaller_batches], None, CPU, tmp_path)
    with pytest.raises(ValueError, match=r"each run once"):
        group.train_group([one, one], None, CPU, tmp_path)


def test_the_sweep_names_a_parameter_the_model_lacks_before_it_trains_anything(data_dir, tmp_path):
    good = Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), SEEDS[0], CONFIG)
    with pytest.raises(ValueError, match=r"variant SimpleNet2\[activation=ReLU,depth=0,lrate=0.01\]: .*'lrate'"):
        variant("SimpleNet2", depth=0, activation="ReLU", lrate=0.01)  # where it is declared
    # a Variant made without variant()'s checks is still caught before anything trains
    typo = Task("test", Variant("SimpleNet2", (("activation", "ReLU"), ("depth", 0), ("lrate", 0.01))), SEEDS[0],
                CONFIG)
    with pytest.raises(ValueError, match=r"variant SimpleNet2\[activation=ReLU,depth=0,lrate=0.01\]: .*'lrate'"):
        local.run_local([good, typo], CPU, tmp_path, data_dir=data_dir, progress=False)
    assert not any(tmp_path.iterdir())


def test_on_a_cpu_the_sweep_trains_seeds_one_by_one_unless_told_to_batch(data_dir, tmp_path):
    # bench: batched MLPs run at 0.7-1.05x the hand-written single-model step on a CPU
    config = CONFIG.replace(train_size=1_000, epochs=1)
    tasks = [Task("test", variant("SimpleNet2", depth=0, activation="tanh"), seed, config) for seed in SEEDS[:2]]
    for record in local.run_local(tasks, CPU, tmp_path, data_dir=data_dir, progress=False):
        assert record["status"] == "complete" and "batched_models" not in record


@pytest.mark.slow  # times whole epochs of every contender
def test_bench_runs_end_to_end_and_writes_its_results(data_dir, tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["bench", "--models", "SimpleNet2", "--epochs", "1", "--warmup", "0", "--batch-models", "2",
            "--train-size", "500", "--device", "cpu", "--data-dir", str(data_dir), "--out", str(out)]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert {"schema", "device", "environment", "python", "torch", "settings", "results"} <= set(result)
    assert result["environment"]["code_version"] and result["torch"] == torch.__version__
    simple = result["results"]["SimpleNet2"]
    assert set(simple["seconds_per_epoch"]) == {"tutorial", "trainer", "python_loop", "autograd", "batched"}
    assert simple["speedup_vs_tutorial"]["trainer"] == simple["trainer_speedup_vs_tutorial"]
    assert all(len(times) == 1 and times[0] > 0 for times in simple["seconds_per_epoch"].values())
    assert simple["trainer_speedup_vs_tutorial"] == pytest.approx(
        simple["median_s"]["tutorial"] / simple["median_s"]["trainer"])
    assert simple["batched_models"] == 2 and "batched_speedup_vs_trainer" in simple
    assert benchmarks.load_results(out) == result  # the performance page reads what bench writes
    assert f"wrote {out}" in capsys.readouterr().out


@pytest.mark.slow  # times whole epochs of a conv net
def test_bench_times_a_zoo_conv_net_with_the_zoos_optimizer_against_the_options_it_leaves_out(
        data_dir, tmp_path, capsys, monkeypatch):
    def no_compiler(model):
        raise RuntimeError("no C compiler here\nsecond line")

    monkeypatch.setattr(torch, "compile", no_compiler)  # a machine that cannot compile: said, then left out
    out = tmp_path / "bench.json"
    assert main(["bench", "--models", "ZooConv2d", "--epochs", "1", "--warmup", "0", "--train-size", "300",
                 "--device", "cpu", "--data-dir", str(data_dir), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ZooConv2d: compiled contender left out: RuntimeError: no C compiler here\n" in printed
    conv = benchmarks.load_results(out)["results"]["ZooConv2d"]
    assert conv["variant"] == bench.VARIANTS["ZooConv2d"].name and conv["optimizer"] == "Adam"
    assert set(conv["seconds_per_epoch"]) == {"tutorial", "trainer", "contiguous", "no_onednn", "fused_adam"}
    assert conv["speedup_vs_trainer"]["no_onednn"] == pytest.approx(
        conv["median_s"]["trainer"] / conv["median_s"]["no_onednn"])
    assert "ZooConv2d against the trainer (Adam): tutorial " in printed and " no_onednn " in printed


def test_bench_names_an_unknown_family_in_one_line(data_dir, capsys):
    assert main(["bench", "--models", "ResNet", "--device", "cpu", "--data-dir", str(data_dir)]) == 2
    assert "unknown model family 'ResNet' for bench" in capsys.readouterr().err


def test_a_batched_group_writes_nothing_unless_every_record_is_valid(splits, tmp_path, monkeypatch):
    config = CONFIG.replace(epochs=1)
    tasks = [Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), seed, config) for seed in SEEDS[:2]]
    made = loop.new_record

    def second_impossible(task, *args):
        record = made(task, *args)
        if task.seed == SEEDS[1]:
            record["flops"]["per_step_profiler"] = -1  # an impossible count, found before any write
        return record

    monkeypatch.setattr(loop, "new_record", second_impossible)
    with pytest.raises(records.RecordError, match="per_step_profiler"):
        group.train_group(tasks, splits, CPU, tmp_path, progress=False)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_batched_group_steps_each_models_schedule(splits, tmp_path):
    config = CONFIG.replace(epochs=2, train_size=1_000, lr=0.1, schedule="StepLR", step_size=1, gamma=0.5)
    tasks = [Task("test", variant("SimpleNet2", depth=0, activation="ReLU"), seed, config) for seed in SEEDS[:2]]
    grouped = group.train_group(tasks, splits, CPU, tmp_path / "group", progress=False)
    alone = [loop.train(task, splits, CPU, tmp_path / "alone", progress=False) for task in tasks]
    for together, single in zip(grouped, alone):
        assert together["epochs"]["train_loss"] == pytest.approx(single["epochs"]["train_loss"], rel=1e-4)


@pytest.mark.slow  # trains in a subprocess
def test_the_adam_fast_path_measurement_runs_and_prints_its_ratios(data_dir):
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "scripts" / "adam_fast_path.py"
    done = subprocess.run([sys.executable, str(script), "--epochs", "1", "--train-size", "500",
                           "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "torchscript-epoch" in done.stdout and "fast SGD engine / autograd SGD:" in done.stdout
