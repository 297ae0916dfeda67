"""Chart downloads: every epoch of every run, one JSON and one CSV file per variant, shared by
the charts that draw it and linked relatively from each chart."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from battleground.core import records
from battleground.site import context, downloads
from battleground.site import runs as site_runs
from battleground.site.elements import chart as chart_element
from battleground.core.spec import Variant, variant
from experiments import discover
from tests.golden import sample
from tests.site_fixtures import make_record, write_run


def _depth(tmp_path: Path) -> context.InvestigationData:
    spec = discover()["depth-of-architecture"]
    runs = tmp_path / "runs"
    for d in (0, 10):
        for a in ("ReLU", "sigmoid"):
            for seed in spec.seeds[:2]:
                write_run(runs, spec.name, variant("SimpleNet2", depth=d, activation=a), seed, epochs=7)
    return site_runs.load_investigation(spec, runs, [])


def test_a_faceted_chart_offers_one_pair_of_files_per_variant(tmp_path):
    inv = _depth(tmp_path)
    chart = chart_element.ChartDef("curves", "t", context.Selection(family="SimpleNet2"), facet=("depth", "activation"))
    files = downloads.files([chart, chart], inv)  # a variant drawn twice is written once
    stems = sorted({Path(name).stem for name in files})
    assert stems == ["SimpleNet2_activation-ReLU_depth-0", "SimpleNet2_activation-ReLU_depth-10",
                     "SimpleNet2_activation-sigmoid_depth-0", "SimpleNet2_activation-sigmoid_depth-10"]
    assert all(name.startswith("data/depth-of-architecture/variants/") for name in files)
    name = "data/depth-of-architecture/variants/SimpleNet2_activation-ReLU_depth-10"
    rows = list(csv.DictReader(io.StringIO(files[name + ".csv"])))
    assert len(rows) == 2 * 7 and {r["variant"] for r in rows} == {"SimpleNet2[activation=ReLU,depth=10]"}
    assert [r["epoch"] for r in rows[:7]] == [str(e) for e in range(1, 8)]
    document = json.loads(files[name + ".json"])
    assert document["variant"] == "SimpleNet2[activation=ReLU,depth=10]"
    assert [r["seed"] for r in document["runs"]] == [1729, 271828]
    assert all(len(r["epochs"]["val_accuracy"]) == 7 for r in document["runs"])
    assert document["runs"][0]["record"] == "runs/depth-of-architecture/SimpleNet2_activation-ReLU_depth-10.seed1729.json"


def test_links_are_relative_and_name_each_series_of_the_chart(tmp_path):
    inv = _depth(tmp_path)
    chart = chart_element.ChartDef("curves", "t", context.Selection(family="SimpleNet2"), facet=("depth", "activation"))
    index = {"SimpleNet2[activation=ReLU,depth=0]": 0, "SimpleNet2[activation=sigmoid,depth=0]": 1,
             "SimpleNet2[activation=ReLU,depth=10]": 2, "SimpleNet2[activation=sigmoid,depth=10]": 3}
    links = downloads.chart_links(chart, inv, index)
    assert [link["series"] for link in links] == [0, 1, 2, 3]
    assert links[2]["label"] == "ReLU · depth 10"  # in words, as the legend (battleground/site/labels.py)
    assert links[2]["csv"] == "data/depth-of-architecture/variants/SimpleNet2_activation-ReLU_depth-10.csv"
    assert not any(link["json"].startswith(("/", "file:", "http")) for link in links)


def test_two_variants_with_one_file_stem_get_two_files(tmp_path):
    spec = discover()["activation-functions"]
    runs = tmp_path / "runs"
    for i, name in enumerate(("<odd>", "(odd)")):  # both are "odd" as a file stem
        v = Variant("SimpleNet2", (("activation", "ReLU"), ("depth", 0)))  # the name is odd, not its parameters
        record = make_record(spec.name, v, 1729, epochs=3)
        record["variant"] = name
        records.write_record(runs / spec.name / f"odd-{i}.seed1729.json", record)
    inv = site_runs.load_investigation(spec, runs, [])
    assert sorted(downloads.file_names(inv).values()) == ["odd", "odd-2"]


def test_every_chart_of_the_sample_site_links_files_that_exist(tmp_path):
    site = tmp_path / "site"
    sample.build(site)
    html = (site / "activation-functions.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'<li data-series="\d+">[^<]*<a href="([^"]+)" download>JSON</a> · <a href="([^"]+)"', html)
    assert hrefs
    for pair in hrefs:
        for href in pair:
            assert not href.startswith("/") and (site / href).is_file(), href
    # nothing else under data/<investigation>/ but the tables' CSV files and the variants' files
    data = site / "data" / "activation-functions"
    assert {p.name for p in data.iterdir() if p.is_file()} == {"results.csv", "seed-1729.csv"}
    assert {f"data/activation-functions/variants/{p.name}" for p in (data / "variants").iterdir()} == \
        {href for pair in hrefs for href in pair}


# Text a spreadsheet would run as a formula, as a record from elsewhere may name its variant.
FORMULAS = ['=HYPERLINK("http://example.com/","open me")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0"]


def test_a_variant_named_as_a_formula_is_text_in_every_downloaded_csv(tmp_path):
    from battleground.site import builder
    from battleground.site.csv_text import safe_cell

    runs, src, out = tmp_path / "runs", tmp_path / "src", tmp_path / "site"
    inv = "activation-functions"
    for i, name in enumerate(FORMULAS):
        record = make_record(inv, variant("SimpleNet2", depth=0, activation="ReLU"), 1729 + i, epochs=3)
        record["variant"] = name
        records.write_record(runs / inv / f"formula-{i}.seed{1729 + i}.json", record)
    src.mkdir()
    (src / "index.md").write_text("---\ntitle: Home\nsummary: Home.\norder: 0\n---\n\n{{ investigations }}\n",
                                  encoding="utf-8")
    (src / f"{inv}.md").write_text(
        f"---\ntitle: T\nsummary: S.\norder: 1\ninvestigation: {inv}\ncharts:\n  - id: all\n    title: All\n"
        "tables:\n  - id: results\n---\n\n{{ chart: all }}\n\n{{ table: results }}\n", encoding="utf-8")
    builder.build(out, runs, src, sample.MODELS, investigations={inv: discover()[inv]})
    tables = [out / "data" / inv / "results.csv", *sorted((out / "data" / inv / "variants").glob("*.csv"))]
    assert len(tables) == 1 + len(FORMULAS)
    for path in tables:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        named = [row for row in rows if row["variant"].lstrip("'") in FORMULAS]
        assert named, path
        for row in named:  # a quote before it, the name after it, as the OWASP guidance says
            assert row["variant"].startswith("'") and row["variant"][1:] in FORMULAS, (path, row["variant"])
            assert re.fullmatch(r"\d+", row["seed"]), row  # numbers stay numbers
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values() if cell), path
    # only text is neutralised: a number, negative or written as text, keeps its value
    assert [safe_cell(v) for v in (-0.5, "-0.5", "-1e-3", "-1+2", None, 7)] == [-0.5, "-0.5", "-1e-3", "'-1+2", "", 7]
