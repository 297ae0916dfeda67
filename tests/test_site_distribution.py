"""The distribution and reference elements on small hand-made records: every seed's value, the
mean ± std over seeds, training time summed over epochs, a reported number beside ours, and
their front-matter mistakes named by file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from battleground.core.config import DEFAULTS
from battleground.core.spec import Investigation, variant
from battleground.site import frontmatter
from battleground.site import runs as site_runs
from battleground.site.elements import registry
from battleground.site.context import Run, SiteError
from battleground.site.elements import distribution, references
from battleground.site.runs import load_investigation
from tests.site_fixtures import make_record, write_run

CNN = variant("ConvNet", convs=3, activation="ReLU")
CNN4 = variant("ConvNet", convs=4, activation="ReLU")
SIAMESE = variant("SiameseNet", branch="ConvNet")
INV = Investigation("pairs-sample", "Which model compares digits best?", (CNN, CNN4, SIAMESE), seeds=(1, 2, 3),
                    config=DEFAULTS.replace(problem="digit-pairs"))


def record(v, seed: int, test: float | None, seconds: list[float], status: str = "complete") -> dict:
    r = make_record(INV.name, v, seed, epochs=len(seconds), status=status)
    r["test_accuracy"], r["epochs"]["seconds"] = test, list(seconds)
    return r


def inv_of(*records_: dict):
    runs = [Run(Path(f"{r['variant']}.{r['seed']}.json"), r, next(v for v in INV.variants if v.name == r["variant"]))
            for r in records_]
    return site_runs.InvestigationData(INV, runs, list(INV.variants))


def test_a_distribution_has_every_seed_and_the_mean_and_sample_std_of_each_variant():
    inv = inv_of(record(CNN, 1, 0.80, [1.0, 2.0]), record(CNN, 2, 0.90, [1.5, 1.5]), record(CNN, 3, 0.85, [2.0, 2.0]),
                 record(SIAMESE, 1, 0.95, [3.0]), record(CNN4, 1, None, [1.0], status="running"))
    data = distribution.boxes(distribution.DistributionDef("d", "t", frontmatter.Selection()), inv)
    by_variant = {box["variant"]: box for box in data["boxes"]}
    cnn = by_variant[CNN.name]
    assert cnn["seeds"] == [1, 2, 3] and cnn["values"]["test"] == [0.8, 0.9, 0.85]
    assert cnn["values"]["train_seconds"] == [3.0, 3.0, 4.0]  # summed over the epochs
    assert cnn["spread"]["test"] == {"mean": 0.85, "std": 0.05, "n": 3}  # the sample std, n - 1
    assert by_variant[SIAMESE.name]["spread"]["test"] == {"mean": 0.95, "std": None, "n": 1}
    # a run still training has no test accuracy and no total time yet: counted nowhere
    assert by_variant[CNN4.name]["spread"]["train_seconds"] == {"mean": None, "std": None, "n": 0}
    # labels: the family and what differs within it; a family of one variant is its name alone
    assert by_variant[CNN.name]["label"] == "ConvNet · 3 convolutions" and by_variant[SIAMESE.name]["label"] == "SiameseNet"


def test_a_reference_row_puts_the_reported_number_beside_our_mean_and_the_difference():
    inv = inv_of(record(CNN, 1, 0.80, [1.0]), record(CNN, 2, 0.90, [1.0]), record(SIAMESE, 1, 0.95, [30.0]),
                 record(SIAMESE, 2, 0.93, [50.0]))
    reference = references.ReferenceDef("r", "t", "the report", (
        references.Row(CNN.name, "test", 0.5865, 0.3186, "basic CNN"),
        references.Row(SIAMESE.name, "train_seconds", 114.9, None, "Siamese"),
        references.Row(CNN4.name, "test", 0.59, None, "no runs"),
    ))
    rows = references.table(reference, inv)
    assert rows[0] == {"label": "basic CNN", "variant": CNN.name, "metric": "test accuracy",
                       "reported": "58.65% ± 31.86 pp", "ours": "85.00% ± 7.07 pp", "n": 2, "change": "+26.35 pp"}
    assert (rows[1]["reported"], rows[1]["ours"], rows[1]["change"]) == ("114.9 s", "40.0 s ± 14.1 s", "0.3×")
    assert (rows[2]["ours"], rows[2]["n"], rows[2]["change"]) == ("–", 0, "–")


PAGE = """---
title: Pairs
summary: s
order: 1
investigation: pairs-sample
{extra}
---

{body}
"""


@pytest.fixture
def sample_inv(tmp_path):
    for v in INV.variants:
        write_run(tmp_path / "runs", INV.name, v, 1, epochs=3)
    return load_investigation(INV, tmp_path / "runs", [])


@pytest.mark.parametrize("extra, field, expected", [
    ("distributions:\n  - id: d\n    title: t\n    metric: loss", "distributions[0].metric",
     "one of final_val, best_val, test, train_seconds"),
    ("distributions:\n  - id: d\n    family: LeNet5\n    title: t", "distributions[0].family", "a model family"),
    ("distributions:\n  - id: d", "distributions[0].title", "the field is missing"),
    ("references:\n  - id: r\n    title: t\n    source: s\n    rows:\n      - variant: 'MLP[x=1]'\n        metric: test\n"
     "        value: 0.5", "references[0].rows[0].variant", "a variant of investigation 'pairs-sample'"),
    ("references:\n  - id: r\n    title: t\n    source: s\n    rows:\n      - variant: 'SiameseNet[branch=ConvNet]'\n"
     "        metric: test\n        value: high", "references[0].rows[0].value", "the reported number"),
    ("references:\n  - id: r\n    title: t\n    source: s\n    rows:\n      - variant: 'SiameseNet[branch=ConvNet]'\n"
     "        metric: speed\n        value: 1", "references[0].rows[0].metric", "one of final_val"),
    ("references:\n  - id: r\n    title: t\n    source: s\n    rows: [3]", "references[0].rows[0]",
     "a mapping with variant, metric and value"),
    ("references:\n  - id: r\n    title: t\n    rows: []", "references[0].source", "the field is missing"),
])
def test_a_bad_distribution_or_reference_is_named_by_file_and_field(tmp_path, sample_inv, extra, field, expected):
    path = tmp_path / "pairs.md"
    path.write_text(PAGE.format(extra=extra, body=""), encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        frontmatter.read_page(path, {INV.name: sample_inv}, registry.elements())
    assert caught.value.field == field and str(path) in str(caught.value) and expected in str(caught.value)


def test_mcnemar_is_left_out_where_the_split_files_labels_are_not_the_targets(tmp_path):
    # a split file beside the runs holds each image's digit; a digit-pairs prediction is "greater
    # or not" of a pair, so pairing the two would test nonsense
    from battleground.core import splits
    from battleground.site import comparison

    runs = tmp_path / "runs"
    pairs = record(CNN, 1, 0.8, [1.0])
    pairs["config"]["problem"] = "digit-pairs"
    path = splits.for_config(runs, pairs["config"])
    path.parent.mkdir(parents=True)
    path.write_text("{}", encoding="utf-8")
    run = Run(runs / INV.name / "a.json", pairs, CNN)
    labels = [0] * pairs["config"]["test_size"]
    inv = site_runs.InvestigationData(INV, [run], list(INV.variants), {path: {"test_labels": labels}})
    assert comparison._test_labels(run, inv) is None
    pairs["config"]["problem"] = "classify"  # the same file's labels are a classifier's targets
    assert comparison._test_labels(run, inv) == labels
