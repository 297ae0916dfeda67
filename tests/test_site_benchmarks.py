"""The performance page: ``battleground bench`` results in runs/benchmarks/, read without torch,
checked field by field, and shown per device, model family and contender, whatever the
contenders are."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from battleground.core import benchmarks, records
from battleground.site import builder, context, performance
from battleground.site import runs as site_runs
from tests.golden import sample
from tests.site_fixtures import make_bench_results, write_bench_results, write_run

ROOT = Path(__file__).resolve().parent.parent
PAGE = "---\ntitle: Performance\nsummary: Bench.\norder: 5\n---\n\n{{ benchmarks }}\n"
INDEX = "---\ntitle: Home\nsummary: Home page.\norder: 0\n---\n\nHello.\n"


def _drop(data: dict, dotted: str) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[part]
    del data[last]


def _set(dotted: str, value):
    def change(data: dict) -> None:
        *parents, last = dotted.split(".")
        for part in parents:
            data = data[part]
        data[last] = value
    return change


BAD = {
    # name: (change, field named, words of the expectation)
    "newer schema": (_set("schema", 2), "schema", "newer version"),
    "older schema": (_set("schema", 0), "schema", "bench` again"),
    "missing schema": (lambda d: _drop(d, "schema"), "schema", "missing"),
    "missing device": (lambda d: _drop(d, "device"), "device", "missing"),
    "missing code version": (lambda d: _drop(d, "environment.code_version"), "environment.code_version", "missing"),
    "zero epochs": (_set("settings.epochs", 0), "settings.epochs", ">= 1"),
    "lr as text": (_set("settings.lr", "0.001"), "settings.lr", "a number"),
    "no families": (_set("results", {}), "results", "one entry per model family"),
    "no tutorial": (lambda d: [_drop(d, f"results.LeNet5.{k}.tutorial")
                               for k in ("seconds_per_epoch", "median_s", "model_epochs_per_s")],
                    "results.LeNet5.seconds_per_epoch", "'tutorial' contender"),
    "a negative time": (_set("results.LeNet5.seconds_per_epoch.trainer", [1.0, -2.0]),
                        "results.LeNet5.seconds_per_epoch.trainer", "seconds > 0"),
    "no timings": (_set("results.LeNet5.seconds_per_epoch.trainer", []),
                   "results.LeNet5.seconds_per_epoch.trainer", "non-empty list"),
    "a median without timings": (_set("results.LeNet5.median_s.compiled", 1.0), "results.LeNet5.median_s",
                                 "the contenders of seconds_per_epoch"),
    "batched without its model count": (lambda d: _drop(d, "results.LeNet5.batched_models"),
                                        "results.LeNet5.batched_models", "models the batched contender"),
    "missing ratio": (lambda d: _drop(d, "results.SimpleNet2.trainer_speedup_vs_tutorial"),
                      "results.SimpleNet2.trainer_speedup_vs_tutorial", "missing"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_results_file_is_an_error_naming_the_file_and_the_field(tmp_path, case):
    change, field, expected = BAD[case]
    results = make_bench_results()
    change(results)
    path = write_bench_results(tmp_path, "bad-device", results)
    with pytest.raises(benchmarks.BenchmarkError) as caught:
        benchmarks.load_results(path)
    assert caught.value.path == str(path) and caught.value.field == field
    assert expected in str(caught.value)


def test_a_truncated_results_file_says_so(tmp_path):
    path = write_bench_results(tmp_path, "cut", make_bench_results())
    path.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")
    with pytest.raises(benchmarks.BenchmarkError, match="perhaps truncated") as caught:
        benchmarks.load_results(path)
    assert caught.value.field == "(file)"


def test_contenders_are_an_open_set_known_ones_first():
    results = make_bench_results(extra={"cuda_graph": 0.4, "compiled": 0.6, "aot": 0.7})
    assert benchmarks.validate(copy.deepcopy(results)) == results
    simple = results["results"]["SimpleNet2"]
    assert benchmarks.contenders(simple) == ["tutorial", "trainer", "autograd", "cuda_graph", "batched", "aot",
                                             "compiled"]


def test_rows_compare_throughput_with_the_tutorial_per_model_trained():
    results = make_bench_results(extra={"cuda_graph": 0.4})
    rows = {(r["family"], r["contender"]): r for r in performance.benchmark_rows(results)}
    lenet = results["results"]["LeNet5"]
    assert rows["LeNet5", "tutorial"]["vs_tutorial"] == "1.00×" and rows["LeNet5", "tutorial"]["family_rows"] == 4
    assert rows["LeNet5", "trainer"]["family_rows"] == 0
    batched = rows["LeNet5", "batched"]
    assert batched["models"] == 4
    # four models per (slower) epoch: per model trained, faster than the tutorial
    assert lenet["median_s"]["batched"] > lenet["median_s"]["tutorial"]
    expected = 4 * lenet["median_s"]["tutorial"] / lenet["median_s"]["batched"]
    assert batched["vs_tutorial"] == f"{expected:.2f}×"
    assert rows["LeNet5", "cuda_graph"]["vs_tutorial"] == f"{lenet['median_s']['tutorial'] / 0.4:.2f}×"


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    src, runs = tmp_path / "src", tmp_path / "runs"
    src.mkdir()
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    (src / "performance.md").write_text(PAGE, encoding="utf-8")
    return src, runs


def test_without_results_the_page_says_so(tmp_path):
    src, runs = _tree(tmp_path)
    result = builder.build(tmp_path / "site", runs=runs, src=src, models=None, investigations={})
    html = (tmp_path / "site" / "performance.html").read_text(encoding="utf-8")
    assert "No benchmark results yet" in html and "<table" not in html
    assert not [name for name in result.written if name.startswith("data/")]


def test_each_device_gets_a_table_its_versions_and_its_file_for_download(tmp_path):
    src, runs = _tree(tmp_path)
    gpu = make_bench_results("Fixture H100", extra={"compiled": 0.3})
    write_bench_results(runs, "fixture-h100", gpu)
    write_bench_results(runs, "fixture-cpu-4-threads", make_bench_results("Fixture CPU (4 threads)", batched=False))
    result = builder.build(tmp_path / "site", runs=runs, src=src, models=None, investigations={})
    assert result.warnings == []  # runs/benchmarks/ is not an undeclared investigation
    html = (tmp_path / "site" / "performance.html").read_text(encoding="utf-8")
    assert "No benchmark results yet" not in html
    assert html.index("Fixture CPU, 4 threads") < html.index("Fixture H100")  # by file name, the device in words
    assert "<td>compiled</td>" in html and "the batched contender trains 4 models" in html
    assert "code version <code>0123456789ab</code>" in html and "PyTorch 2.13.0" in html
    assert 'href="data/benchmarks/fixture-h100.json"' in html
    downloaded = json.loads((tmp_path / "site" / "data" / "benchmarks" / "fixture-h100.json").read_text())
    assert downloaded == gpu


def test_a_bad_results_file_fails_the_build_in_one_line_and_keeps_the_site(tmp_path):
    src, runs = _tree(tmp_path)
    builder.build(tmp_path / "site", runs=runs, src=src, models=sample.MODELS)
    (tmp_path / "site" / "marker.txt").write_text("previous", encoding="utf-8")
    results = make_bench_results()
    del results["results"]["SimpleNet2"]["median_s"]
    path = write_bench_results(runs, "broken", results)
    done = subprocess.run([sys.executable, "build.py", "--src", str(src), "--runs", str(runs), "--models",
                           str(sample.MODELS), "--out", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"error: {path}: field 'results.SimpleNet2.median_s': expected an object of contenders" in done.stderr
    assert (tmp_path / "site" / "marker.txt").exists()


def test_the_benchmarks_folder_is_not_an_investigation(tmp_path):
    runs = tmp_path / "runs"
    from battleground.core.spec import variant

    record = write_run(runs, "activation-functions", variant("SimpleNet2", depth=0, activation="ReLU"), 1729)
    write_bench_results(runs, "fixture-gpu-80gb", make_bench_results())
    assert records.record_files(runs) == [record]
    warnings: list[str] = []
    from experiments import discover

    inv = site_runs.load_investigation(discover()["activation-functions"], runs, warnings)
    assert len(inv.runs) == 1 and warnings == []


def test_a_placeholder_of_benchmarks_belongs_on_a_site_wide_page(tmp_path):
    src, runs = _tree(tmp_path)
    (src / "activation-functions.md").write_text(
        "---\ntitle: A\nsummary: B.\norder: 1\ninvestigation: activation-functions\n---\n\n{{ benchmarks }}\n",
        encoding="utf-8")
    with pytest.raises(context.SiteError, match="no {{ benchmarks }} on an investigation page"):
        builder.build(tmp_path / "site", runs=runs, src=src, models=None)
