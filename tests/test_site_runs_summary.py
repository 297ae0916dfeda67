"""The methodology's summary of the recorded runs: budget or fixed epochs, epochs, hardware and
code versions, per investigation and model family, and a few sentences, all read from the
records."""

from __future__ import annotations

from pathlib import Path

from battleground.site import builder, runs_summary
from battleground.site.context import Context, InvestigationData, Run
from battleground.core.spec import variant
from experiments import discover
from tests.golden import sample
from tests.site_fixtures import make_record

CPU, GPU = "AMD EPYC 7B13 (2 threads)", "NVIDIA H100 80GB HBM3"
CPU_WORDS = "AMD EPYC 7B13, 2 threads"  # as the page says the recorded CPU (battleground/site/labels.py)
COMMIT = "a19ddfaa407a18312ac78d8f63a10f40a5fb1ff2"


def context_of(*runs: tuple) -> Context:
    """A context holding the activation-functions investigation with ``runs``, each
    (family, activation, seed, epochs, fixed_epochs, device, seconds per epoch)."""
    spec = discover()["activation-functions"]
    loaded = []
    for family, activation, seed, epochs, fixed, device, seconds in runs:
        v = variant(family, activation=activation) if family == "LeNet5" else variant(family, depth=0, activation=activation)
        record = make_record(spec.name, v, seed, epochs=epochs, fixed_epochs=fixed, device=device)
        record["epochs"]["seconds"] = [seconds] * epochs
        record["environment"]["code_version"] = COMMIT
        loaded.append(Run(Path(f"{v.name}.seed{seed}.json"), record, v))
    inv = InvestigationData(spec, loaded, list(spec.variants))
    return Context([], {spec.name: inv}, {}, {}, None, [])


def test_short_fixed_epoch_cpu_runs_are_called_the_start_of_training():
    context = context_of(("SimpleNet2", "ReLU", 1729, 100, True, CPU, 1.0),
                         ("LeNet5", "tanh", 1729, 20, True, CPU, 20.0))
    text = " ".join(runs_summary.sentences(context))
    assert text.startswith("2 runs are recorded so far.")
    assert "All trained a fixed number of epochs (20–100 epochs), not a wall-clock budget." in text
    assert f"All ran on a CPU: {CPU_WORDS}." in text
    assert "Even the longest trained for only 6 m 40 s of the 4h default budget" in text
    assert "start of training" in text


def test_budget_runs_on_a_gpu_that_used_their_budget_are_not_called_short():
    context = context_of(("SimpleNet2", "ReLU", 1729, 3000, False, GPU, 4.7),
                         ("SimpleNet2", "tanh", 1729, 3000, False, GPU, 4.7))
    text = " ".join(runs_summary.sentences(context))
    assert "All trained on a wall-clock budget (4h)." in text and f"All ran on a GPU: {GPU}." in text
    assert "The longest trained for 3 h 55 m; the default budget is 4h." in text
    assert "start of training" not in text


def test_mixed_runs_are_counted_each_way():
    context = context_of(("SimpleNet2", "ReLU", 1729, 100, True, CPU, 1.0),
                         ("SimpleNet2", "ReLU", 271828, 3000, False, GPU, 4.7),
                         ("SimpleNet2", "tanh", 1729, 3000, False, GPU, 4.7))
    text = " ".join(runs_summary.sentences(context))
    assert "1 trained a fixed number of epochs (100 epochs), 2 on a wall-clock budget (4h)." in text
    assert f"1 ran on a CPU ({CPU_WORDS}), 2 on a GPU ({GPU})." in text
    [row] = [g.row() for g in runs_summary.groups(context)]
    assert row["family"] == "SimpleNet2" and row["runs"] == "3 of 24"
    assert row["training"] == ["budget 4h: 3,000 epochs (2 runs)", "fixed: 100 epochs (1 run)"]
    assert row["hardware"] == [f"{GPU} × 2", f"{CPU_WORDS} × 1"] and row["code"] == [COMMIT[:12]]
    assert row["longest"] == "3 h 55 m" and row["torch"] == ["2.13.0"]


def test_each_family_gets_a_row_and_an_investigation_without_runs_one():
    context = context_of(("SimpleNet2", "ReLU", 1729, 100, True, CPU, 1.0), ("LeNet5", "tanh", 1729, 20, True, CPU, 20.0))
    empty = discover()["depth-of-architecture"]
    context.investigations[empty.name] = InvestigationData(empty, [], list(empty.variants))
    rows = runs_summary.rows(context)
    assert [(r["investigation"], r["first"], r["family"], r["runs"]) for r in rows] == [
        ("activation-functions", True, "SimpleNet2", "1 of 24"), ("activation-functions", False, "LeNet5", "1 of 24"),
        ("depth-of-architecture", True, "–", "0 of 216")]
    assert rows[1]["training"] == ["fixed: 20 epochs"] and rows[1]["hardware"] == [CPU_WORDS]
    assert rows[2]["training"] == rows[2]["hardware"] == rows[2]["code"] == [] and rows[2]["longest"] == "–"


def test_no_runs_at_all_says_so():
    spec = discover()["activation-functions"]
    inv = InvestigationData(spec, [], list(spec.variants))
    assert runs_summary.sentences(Context([], {spec.name: inv}, {}, {}, None, [])) == [
        "No run has been recorded yet."]


def test_devices_are_cpus_when_their_thread_count_is_named():
    assert runs_summary.is_cpu("AMD EPYC (1 threads)") and runs_summary.is_cpu(CPU)
    assert not runs_summary.is_cpu(GPU) and not runs_summary.is_cpu("Fixture GPU 80GB")


def test_the_methodology_pages_show_the_summary(tmp_path):
    sample.build(tmp_path / "sample")
    html = (tmp_path / "sample" / "methodology.html").read_text(encoding="utf-8")
    assert "13 runs are recorded so far." in html and '<table class="runs-summary">' in html
    assert "&lt;b&gt;GPU&lt;/b&gt; &amp; co" in html and "<b>GPU</b>" not in html  # a device name is text
    assert '<a href="activation-functions.html">activation-functions</a>' in html
    builder.build(tmp_path / "real", runs=tmp_path / "no-runs")  # the real pages, with their own models
    real = (tmp_path / "real" / "methodology.html").read_text(encoding="utf-8")
    assert 'id="the-runs-so-far"' in real and "No run has been recorded yet." in real


def test_the_scale_under_an_answer_says_runs_epochs_images_and_device_as_the_records_do():
    context = context_of(("SimpleNet2", "ReLU", 1729, 500, True, CPU, 1.0),
                         ("SimpleNet2", "tanh", 1729, 10, True, CPU, 1.0),
                         ("SimpleNet2", "sigmoid", 1729, 10, True, GPU, 1.0))
    inv = context.investigations["activation-functions"]
    for run in inv.runs:
        run.record["data"] = {"train_images": 60_000, "val_images": 8_000, "test_images": 2_000}
    assert runs_summary.scale(inv) == ("The records behind these findings: 3 runs of 10 epochs (2 runs) and 500 epochs (1), "
                                       "on all 60,000 training images, trained on a CPU (2 runs) and a GPU (1).")
    inv.runs[0].record["config"]["train_size"] = 10_000  # a zoo half-way to a larger training set
    inv.runs[0].record["data"]["train_images"] = 10_000
    assert "on all 60,000 training images (2 runs) and the first 10,000 training images (1)" in runs_summary.scale(inv)
    lengths = context_of(*[("SimpleNet2", a, seed, epochs, True, CPU, 1.0) for a, seed, epochs in (
        ("ReLU", 1, 2), ("ReLU", 2, 3), ("tanh", 1, 3), ("tanh", 2, 4), ("sigmoid", 1, 5))])
    # four lengths or more (runs still training, say): the range and the commonest
    assert "5 runs of 2–5 epochs (2 of 3)" in runs_summary.scale(lengths.investigations["activation-functions"])
    assert runs_summary.scale(InvestigationData(inv.spec, [], inv.variants)) is None
