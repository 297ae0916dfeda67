"""The sample site of the golden test: fixture pages, fixture runs and fixture models, built
with the real templates and assets. Shared by the golden test, the browser tests and
``python -m tests.golden.regenerate``."""

from __future__ import annotations

from pathlib import Path

from battleground.site import builder
from battleground.core.spec import Investigation, Variant, variant
from experiments import discover
from tests.site_fixtures import make_bench_results, make_record, write_bench_results, write_run
from battleground.core import records

HERE = Path(__file__).resolve().parent
SRC, RUNS, MODELS, EXPECTED = HERE / "src", HERE / "runs", HERE / "models.py", HERE / "expected"
EVIL = "<script>alert(1)</script>"

# A second investigation with a page and no runs: its page must say "no results yet".
NO_RUNS = Investigation(
    name="depth-sample",
    question="Does depth help SimpleNet2?",
    variants=tuple(variant("SimpleNet2", depth=d, activation="ReLU") for d in (0, 1, 2)),
)


GOLDEN = ("activation-functions",)  # the real investigations the sample uses; a new one leaves it as it is


def investigations() -> dict[str, Investigation]:
    return {**{name: inv for name, inv in discover().items() if name in GOLDEN}, NO_RUNS.name: NO_RUNS}


def write_runs(runs_dir: Path = RUNS) -> None:
    """The fixture runs: a few activations, three seeds of ReLU, running, diverged and collapsed
    runs, one run long enough to be downsampled, and a variant whose name is markup."""
    inv = "activation-functions"
    for activation in ("ReLU", "tanh", "sigmoid", "none"):
        for seed in ((1729, 271828, 314159) if activation in ("ReLU", "tanh") else (1729,)):
            write_run(runs_dir, inv, variant("SimpleNet2", depth=0, activation=activation), seed, epochs=25)
    write_run(runs_dir, inv, variant("SimpleNet2", depth=0, activation="SiLU"), 1729, epochs=9, status="running")
    # a second seed of sigmoid that collapsed to one class: "(collapsed: 1 of 2 seeds)" in the band
    write_run(runs_dir, inv, variant("SimpleNet2", depth=0, activation="sigmoid"), 271828, epochs=25, collapsed=True)
    # a fixed-epoch CPU run among budget runs on a GPU, for the methodology's summary of the runs
    write_run(runs_dir, inv, variant("LeNet5", activation="ReLU"), 1729, epochs=400, fixed_epochs=True,
              device="Fixture CPU (2 threads)")
    write_run(runs_dir, inv, variant("LeNet5", activation="tanh"), 1729, epochs=8, status="diverged")
    # its parameters are the catalogue's (a record's are checked against it); its name is markup
    evil = Variant("SimpleNet2", (("activation", "GELU"), ("depth", 0)))
    record = make_record(inv, evil, 1729, epochs=12)
    record["variant"] = EVIL
    record["environment"]["device"] = "<b>GPU</b> & co"
    # not records.record_path: its file_stem keeps the "/" of "</script>", which makes a folder
    records.write_record(runs_dir / inv / "markup-variant.seed1729.json", record)
    # benchmark results: a GPU with a contender the site does not know of, a CPU without batching,
    # and markup in a device name
    write_bench_results(runs_dir, "fixture-gpu-80gb", make_bench_results(extra={"compiled": 0.5}))
    write_bench_results(runs_dir, "fixture-cpu-2-threads",
                        make_bench_results("Fixture CPU <i>x86</i> (2 threads)", batched=False))


def build(out: Path, **kwargs) -> builder.BuildResult:
    return builder.build(out, runs=RUNS, src=SRC, models=MODELS, investigations=investigations(), **kwargs)
