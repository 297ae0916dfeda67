"""The comparison element: rows computed from the records with the significance module's tests,
p-values adjusted over the whole page, and front-matter mistakes named like any other."""

from __future__ import annotations

import pytest

from battleground.core import records, splits
from battleground.core.spec import Investigation, variant
from battleground.site import builder, comparison, frontmatter, significance
from battleground.site import runs as site_runs
from battleground.site.elements import registry
from battleground.site.context import SiteError
from tests.golden import sample
from tests.site_fixtures import make_record

BASE = variant("SimpleNet2", depth=0, activation="ReLU")
OTHER = variant("SimpleNet2", depth=0, activation="tanh")
SAME = variant("SimpleNet2", depth=0, activation="sigmoid")
INV = Investigation("compare-sample", "Which is better?", (BASE, OTHER, SAME))
LABELS = [i % 10 for i in range(20)]  # the 20 test images' labels in this sample's split file
PAGE = """---
title: Compare
summary: A comparison.
order: 1
investigation: compare-sample
comparisons:
  - id: vs-relu
    title: Against ReLU
    baseline: "SimpleNet2[activation=ReLU,depth=0]"
    metrics: [test, final_val]
---

{{ compare: vs-relu }}
"""


def _write(runs, v, seed, test_accuracy, final_val, wrong):
    """A run whose test predictions get the images in ``wrong`` wrong."""
    record = make_record(INV.name, v, seed, epochs=5)
    record["test_accuracy"] = test_accuracy
    record["epochs"]["val_accuracy"][-1] = final_val
    record["data"] = {"source": "fixture", "train_images": 100, "val_images": 4, "test_images": len(LABELS)}
    record["config"].update(val_size=4, test_size=len(LABELS))  # the split file's sizes
    predicted = [(label + 1) % 10 if i in wrong else label for i, label in enumerate(LABELS)]
    record["predictions"] = records.encode_predictions([0, 1, 2, 3], predicted, "uint8")
    records.write_record(records.record_path(runs, INV.name, v.name, seed), record)


@pytest.fixture
def site(tmp_path):
    runs, src = tmp_path / "runs", tmp_path / "src"
    src.mkdir()
    (src / "compare.md").write_text(PAGE, encoding="utf-8")
    (src / "index.md").write_text("---\ntitle: Home\nsummary: Home.\norder: 0\n---\n\nHome.\n", encoding="utf-8")
    for seed, base, other, same in zip(INV.seeds, (0.90, 0.91, 0.92), (0.95, 0.96, 0.955), (0.905, 0.915, 0.91)):
        _write(runs, BASE, seed, base, base - 0.01, wrong=set(range(10)))
        _write(runs, OTHER, seed, other, other - 0.01, wrong={0})  # right where ReLU is wrong, 9 of 10
        _write(runs, SAME, seed, same, same - 0.01, wrong=set(range(1, 11)))
    config = make_record(INV.name, BASE, 1729)["config"]
    splits.write(splits.split_path(runs, config["dataset"], config["val_split_seed"], 4, len(LABELS)),
                 [0, 1, 2, 3], list(range(4, 4 + len(LABELS))), [0, 1, 2, 3], LABELS)
    return tmp_path


def _rows(site):
    inv = site_runs.load_investigation(INV, site / "runs", [])
    page = frontmatter.read_page(site / "src" / "compare.md", {INV.name: inv}, registry.elements())
    return comparison.page_rows(list(page.comparisons.values()), inv)["vs-relu"]


def test_each_row_is_welch_over_seeds_and_mcnemar_per_seed_adjusted_over_the_page(site):
    rows = _rows(site)
    assert [(r["variant"], r["key"]) for r in rows] == [(OTHER.name, "test"), (OTHER.name, "final_val"),
                                                        (SAME.name, "test"), (SAME.name, "final_val")]
    test = rows[0]
    expected = significance.welch([0.90, 0.91, 0.92], [0.95, 0.96, 0.955])
    assert test["difference"].mean == pytest.approx(expected.mean) and test["difference"].p == pytest.approx(expected.p)
    # ReLU gets images 0-9 wrong, tanh only image 0: 9 images only tanh gets right, none only ReLU
    assert [(e["only_base"], e["only_other"]) for e in test["mcnemar"]] == [(0, 9)] * 3
    all_p = [r["difference"].p for r in rows for _ in [0]]
    for r in rows:
        all_p += [e["p"] for e in r["mcnemar"]]
    # Holm over every test of the page: 4 Welch tests and 6 McNemar tests
    assert len(all_p) == 10
    adjusted = significance.holm(all_p)
    assert test["welch_adjusted"] == pytest.approx(adjusted[0])
    assert test["mcnemar"][0]["adjusted"] == pytest.approx(adjusted[4])
    assert test["verdict"] == significance.verdict(test["difference"], test["welch_adjusted"])


def test_the_page_shows_the_comparison_as_a_sortable_table(site):
    out = site / "site"
    builder.build(out, runs=site / "runs", src=site / "src", models=sample.MODELS, investigations={INV.name: INV})
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert 'id="compare-vs-relu"' in html and 'class="sortable comparison-table"' in html
    # one row per variant, by what it changes in words; its full name and each seed's test behind the expander
    assert html.count('<th scope="row"') == 2 and '<th scope="row" title="SimpleNet2[activation=tanh,depth=0]">tanh</th>' in html
    assert "<details" in html and "SimpleNet2[activation=tanh,depth=0]" in html and "seed 1729: 0 vs 9" in html


def test_a_baseline_or_metric_that_does_not_exist_is_named(site):
    inv = site_runs.load_investigation(INV, site / "runs", [])
    path = site / "src" / "compare.md"
    for old, new, field in (("activation=ReLU,depth=0]\"", "activation=Nope,depth=0]\"", "comparisons[0].baseline"),
                            ("[test, final_val]", "[test, accuracy]", "comparisons[0].metrics[1]")):
        path.write_text(PAGE.replace(old, new), encoding="utf-8")
        with pytest.raises(SiteError) as caught:
            frontmatter.read_page(path, {INV.name: inv}, registry.elements())
        assert caught.value.field == field


def test_a_variant_whose_seeds_all_collapsed_to_one_value_is_still_tested(site):
    # every seed of sigmoid ends at the same accuracy; ReLU's seeds vary, so Welch's test is defined
    for seed in INV.seeds:
        _write(site / "runs", SAME, seed, 0.115, 0.115, wrong=set(range(20)))
    row = next(r for r in _rows(site) if r["variant"] == SAME.name and r["key"] == "test")
    assert row["difference"].p is not None and row["difference"].df == pytest.approx(2.0)
    assert row["verdict"] == ("worse (every seed of the variant gave one value: "
                              "the test rests on the baseline's spread)")
