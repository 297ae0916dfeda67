"""The performance page's tables: ``battleground bench`` results, one table per results file
(a device), one row per model family and contender.

Pure functions of the checked results (``battleground/core/benchmarks.py``). Contenders are an open
set: every one a file has gets a row, known ones first, so a future contender needs no change
here. Ratios compare throughput, model-epochs per second, so a contender that trains K models
at once is compared per model trained, not per pass over the data.
"""

from __future__ import annotations

from battleground.core import benchmarks
from battleground.core.records import BENCHMARKS_FOLDER
from battleground.site import labels
from battleground.site.context import Benchmark
from battleground.site.tables import code_version, duration

DATA_FOLDER = "data/benchmarks"  # where each results file is offered for download


def benchmark_rows(results: dict) -> list[dict]:
    """One row per (family, contender): median and range of seconds per epoch, models trained
    at once, model-epochs per second, and that throughput as a multiple of the tutorial's."""
    rows = []
    for family, result in results["results"].items():
        names = benchmarks.contenders(result)
        baseline = result["model_epochs_per_s"][benchmarks.BASELINE]
        for name in names:
            seconds, median = result["seconds_per_epoch"][name], result["median_s"][name]
            per_s = result["model_epochs_per_s"][name]
            rows.append({
                "family": family,
                "variant": result["variant"],
                "family_rows": len(names) if name == names[0] else 0,  # the family cell spans them
                "contender": name,
                "models": round(per_s * median),  # K for a contender that trains K models, else 1
                "median": duration(median),
                "range": f"{min(seconds):.3g}–{max(seconds):.3g} s" if len(seconds) > 1 else "–",
                "epochs_timed": len(seconds),
                "model_epochs_per_s": f"{per_s:.3g}",
                "vs_tutorial": f"{per_s / baseline:.2f}×",
            })
    return rows


def benchmark_view(bench: Benchmark) -> dict:
    """What the template needs of one results file: the device, versions, settings and rows."""
    results = bench.results
    settings = results["settings"]
    return {
        "id": "bench-" + bench.filename.removesuffix(".json"),
        "device": labels.device(results["device"]),
        "torch": results["torch"],
        "python": results["python"],
        "code_version": code_version(results["environment"]["code_version"]),
        "source": f"runs/{BENCHMARKS_FOLDER}/{bench.path.name}",
        "href": f"{DATA_FOLDER}/{bench.filename}",
        "settings": {
            "epochs": settings["epochs"],
            "warmup": settings["warmup"],
            "train_images": f"{settings['train_images']:,}",
            "batch_size": settings["batch_size"],
            "lr": format(settings["lr"], "g"),
            "batch_models": settings["batch_models"],
        },
        "has_batched": any("batched" in r["median_s"] for r in results["results"].values()),
        "rows": benchmark_rows(results),
    }


def download_files(benches: list[Benchmark]) -> dict[str, str]:
    """Each results file as committed, for the page's download links."""
    return {f"{DATA_FOLDER}/{bench.filename}": bench.text for bench in benches}
