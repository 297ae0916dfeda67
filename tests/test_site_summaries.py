"""The summary elements on small hand-made records: accuracy at fixed compute (budgets, "not
reached", means over seeds, the best variant), the leaderboard's Pareto frontier and its data
sets kept apart, the heatmap's grid, and their front-matter mistakes named by file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from battleground.core.spec import Investigation, variant
from battleground.site import frontmatter
from battleground.site import runs as site_runs
from battleground.site.elements import registry
from battleground.site.context import Context, Page, Run, SiteError
from battleground.site.elements import fixed_compute, heatmap, leaderboard
from battleground.site.runs import load_investigation
from tests.site_fixtures import make_record, write_run

RELU = variant("SimpleNet2", depth=0, activation="ReLU")
TANH = variant("SimpleNet2", depth=0, activation="tanh")
DEEP = variant("SimpleNet2", depth=1, activation="ReLU")
INV = Investigation("summary-sample", "Which is best for the compute?", (RELU, TANH, DEEP))
PER_EPOCH = 31_960_000 * 600  # SimpleNet2's fixture FLOPs per epoch: 19.176 GFLOP


def record(v, seed: int, accuracy: list[float | None], status: str = "complete") -> dict:
    """A fixture record of ``v`` whose validation accuracy is exactly ``accuracy``, epoch by epoch."""
    r = make_record(INV.name, v, seed, epochs=len(accuracy), status=status)
    r["epochs"]["val_accuracy"] = list(accuracy)
    return r


def inv_of(*records_: dict):
    runs = [Run(Path(f"{r['variant']}.{r['seed']}.json"), r, next(v for v in INV.variants if v.name == r["variant"]))
            for r in records_]
    return site_runs.InvestigationData(INV, runs, list(INV.variants))


def test_budgets_are_powers_of_ten_from_the_first_epoch_up_to_the_largest_recorded():
    short = record(RELU, 1729, [0.5] * 4)  # 76.7 GFLOP
    long = record(TANH, 1729, [0.5] * 600)  # 11.5 TFLOP
    assert fixed_compute.budget_grid([short, long], "profiler") == [10**11, 10**12, 10**13]
    assert fixed_compute.budget_grid([short], "profiler") == []  # never reached 100 GFLOP


def test_a_run_has_the_accuracy_of_its_last_epoch_within_the_budget_or_says_why_not():
    r = record(RELU, 1729, [0.5, 0.6, 0.7, 0.8, 0.9, 0.95])  # epochs end at 19.2, 38.4, ... 115 GFLOP
    assert fixed_compute.reached(r, 10**11, "profiler") == (0.9, None)  # epoch 5 ends at 95.9 GFLOP
    assert fixed_compute.reached(r, 10**10, "profiler") == (None, fixed_compute.NOT_YET)
    assert fixed_compute.reached(r, 10**12, "profiler") == (None, fixed_compute.NOT_REACHED)
    # the complete count (here 1.5x: 28.8 GFLOP an epoch) moves every epoch along the axis
    r["flops"]["per_step_complete"] = r["flops"]["per_step_profiler"] * 3 // 2
    assert fixed_compute.reached(r, 10**11, "complete") == (0.7, None)


def test_fixed_compute_means_the_seeds_that_reached_a_budget_and_marks_the_best():
    inv = inv_of(
        record(RELU, 1729, [0.5] * 5 + [0.90] * 55),   # 60 epochs: 1.15 TFLOP
        record(RELU, 271828, [0.5] * 5 + [0.80] * 5),  # 10 epochs: 192 GFLOP, short of 1 TFLOP
        record(TANH, 1729, [0.5] * 5 + [0.95] * 55),
        record(TANH, 271828, [0.5] * 5 + [0.93] * 55),
        record(DEEP, 1729, [0.5] * 3),                  # 3 epochs of a deeper net: not 100 GFLOP
    )
    view_def = fixed_compute.FixedComputeDef("b", "t", frontmatter.Selection(family="SimpleNet2"))
    view = fixed_compute.view(view_def, inv)
    assert view["budgets"] == [10**11, 10**12]
    rows = {row["variant"]: row["cells"] for row in view["rows"]}
    # at 100 GFLOP (epoch 5) every seed of ReLU and tanh has 0.5; the ReLU/tanh tie goes to the first
    assert rows[RELU.name][0] == {"mean": 0.5, "seeds": 2, "of": 2, "why": None, "best": True}
    assert rows[TANH.name][1] == {"mean": 0.94, "seeds": 2, "of": 2, "why": None, "best": True}
    # one ReLU seed stopped short of 1 TFLOP: the mean is of the seed that reached it, and says so
    assert rows[RELU.name][1] == {"mean": 0.9, "seeds": 1, "of": 2, "why": None, "best": False}
    assert rows[DEEP.name] == [{"mean": None, "seeds": 0, "of": 1, "why": "not reached", "best": False}] * 2
    assert view["best"] == [RELU.name, TANH.name]


def test_the_pareto_frontier_keeps_only_points_no_cheaper_point_beats():
    points = [{"name": n, "flops": f, "accuracy": a} for n, f, a in
              [("a", 1, 0.90), ("b", 2, 0.95), ("c", 3, 0.93), ("d", 4, 0.97), ("e", 4, 0.96), ("f", 5, 0.97),
               ("g", 0.5, 0.80)]]
    assert [p["name"] for p in leaderboard.frontier(points, "flops")] == ["g", "a", "b", "d"]
    assert leaderboard.frontier([], "flops") == []


def test_a_runs_leaderboard_point_is_its_best_accuracy_and_the_flops_it_first_reached_it_at():
    r = record(RELU, 1729, [0.5, 0.9, 0.8, 0.9, None])
    assert leaderboard.best_point(r) == (0.9, 2 * 31_960_000 * 600)  # the complete count of the fixture
    assert leaderboard.best_point(record(RELU, 1729, [None, None], status="diverged")) is None


def test_the_leaderboard_never_puts_two_data_sets_on_one_frontier():
    fashion = record(TANH, 1729, [0.5, 0.85])
    fashion["config"]["dataset"] = "fashion-mnist"
    inv = inv_of(record(RELU, 1729, [0.5, 0.9]), fashion)
    page = Page("summary-sample", Path("summary-sample.md"), "Sample", "s", 1, "", 1, investigation=INV.name)
    groups = leaderboard.view(Context([page], {INV.name: inv}, {}, {}, None, []))
    assert [(g["data"], [p["variant"] for p in g["points"]]) for g in groups] == [
        ("Fashion-MNIST", [TANH.name]), ("MNIST", [RELU.name])]
    assert groups[1]["points"][0]["href"] == "summary-sample.html"


def test_the_heatmap_grid_has_a_cell_per_pair_with_every_seed_and_the_notes():
    inv = inv_of(record(RELU, 1729, [0.5, 0.9]), record(RELU, 271828, [0.5, 0.8]),
                 record(TANH, 1729, [0.5, None], status="diverged"), record(DEEP, 1729, [0.6, 0.7]))
    grid = heatmap.grid(heatmap.HeatmapDef("g", "t", frontmatter.Selection(family="SimpleNet2"), "depth",
                                           "activation"), inv)
    assert grid["rows"] == ["0", "1"] and grid["columns"] == ["ReLU", "tanh"]
    relu = grid["cells"][0][0]
    assert relu["mean"]["final_val"] == pytest.approx(0.85) and relu["mean"]["best_val"] == pytest.approx(0.85)
    assert [s["final_val"] for s in relu["seeds"]] == [0.9, 0.8]
    assert grid["cells"][0][1]["seeds"][0]["note"] == "diverged"
    assert grid["cells"][0][1]["mean"]["final_val"] is None
    assert grid["cells"][1][1] is None  # no variant: depth 1 with tanh


# --- front matter ------------------------------------------------------------------------------

PAGE = """---
title: Summaries
summary: s
order: 1
investigation: summary-sample
{extra}
---

{body}
"""


@pytest.fixture
def sample_inv(tmp_path):
    for v in INV.variants:
        write_run(tmp_path / "runs", INV.name, v, 1729, epochs=3)
    return load_investigation(INV, tmp_path / "runs", [])


@pytest.mark.parametrize("extra, field, expected", [
    ("heatmaps:\n  - id: g\n    title: t\n    rows: width\n    columns: activation", "heatmaps[0].rows",
     "a parameter of every variant the heatmap selects: activation, depth"),
    ("heatmaps:\n  - id: g\n    title: t\n    rows: depth\n    columns: depth", "heatmaps[0].columns",
     "a parameter other than the rows'"),
    ("heatmaps:\n  - id: g\n    title: t\n    rows: depth\n    columns: activation\n    metric: loss",
     "heatmaps[0].metric", "one of final_val, best_val, test"),
    ("heatmaps:\n  - id: g\n    title: t\n    columns: activation", "heatmaps[0].rows", "the field is missing"),
    ("heatmaps:\n  - id: g\n    title: t\n    rows: activation\n    columns: family\n", "heatmaps[0].columns",
     "a parameter of every variant"),
    ("fixed_compute:\n  - id: b\n    title: t\n    flops: all", "fixed_compute[0].flops", "one of profiler, complete"),
    ("fixed_compute:\n  - id: b\n    title: t\n    family: LeNet5", "fixed_compute[0].family", "a model family"),
    ("fixed_compute: yes", "fixed_compute", "a list of fixed-compute views"),
])
def test_a_bad_summary_entry_is_named_by_file_and_field(tmp_path, sample_inv, extra, field, expected):
    path = tmp_path / "summaries.md"
    path.write_text(PAGE.format(extra=extra, body=""), encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        frontmatter.read_page(path, {INV.name: sample_inv}, registry.elements())
    assert caught.value.field == field and str(path) in str(caught.value) and expected in str(caught.value)


def test_a_heatmap_whose_variants_do_not_form_a_grid_names_two_that_share_a_cell(tmp_path, sample_inv):
    path = tmp_path / "summaries.md"
    crowded = Investigation(INV.name, "q", (RELU, variant("SimpleNet2", depth=0, activation="ReLU", width=50)))
    for v in crowded.variants:
        write_run(tmp_path / "crowded", INV.name, v, 1729, epochs=3)
    inv = load_investigation(crowded, tmp_path / "crowded", [])
    path.write_text(PAGE.format(extra="heatmaps:\n  - id: g\n    title: t\n    rows: depth\n    columns: activation",
                                body=""), encoding="utf-8")
    with pytest.raises(SiteError, match="variants that form a grid") as caught:
        frontmatter.read_page(path, {INV.name: inv}, registry.elements())
    assert caught.value.field == "heatmaps[0]"


def test_a_fixed_compute_view_of_two_data_sets_is_refused(tmp_path):
    mixed = Investigation(INV.name, "q", (RELU, variant("SimpleNet2", depth=0, activation="ReLU",
                                                         dataset="fashion-mnist")))
    inv = site_runs.InvestigationData(mixed, [], list(mixed.variants))
    path = tmp_path / "summaries.md"
    path.write_text(PAGE.format(extra="fixed_compute:\n  - id: b\n    title: t", body=""), encoding="utf-8")
    with pytest.raises(SiteError, match="one data set and task") as caught:
        frontmatter.read_page(path, {INV.name: inv}, registry.elements())
    assert caught.value.field == "fixed_compute[0]"


def test_the_leaderboard_stays_off_investigation_pages(tmp_path, sample_inv):
    from battleground.site import placeholders

    path = tmp_path / "summaries.md"
    path.write_text(PAGE.format(extra="", body="{{ leaderboard }}"), encoding="utf-8")
    page = frontmatter.read_page(path, {INV.name: sample_inv}, registry.elements())
    with pytest.raises(SiteError, match=r"no \{\{ leaderboard \}\} on an investigation page"):
        placeholders.check_placeholders(page, Context([page], {INV.name: sample_inv}, {}, {}, None, []),
                                         registry.elements())
