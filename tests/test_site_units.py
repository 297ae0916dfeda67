"""Units of the site build: the nines scale, downsampling, escaping, labels, formatting, and the
rule that building the site never imports torch."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from battleground.site import charts, content, context, labels, tables
from battleground.site import runs as site_runs
from battleground.site.elements import chart as chart_element
from battleground.site.training_defaults import formatted_defaults
from battleground.site.elements.model import model_sources
from battleground.site.frontmatter import split_front_matter
from battleground.site.context import SiteError
from battleground.core.spec import variant
from tests.golden import sample

ROOT = Path(__file__).resolve().parent.parent


def test_nines_halves_the_error_per_unit():
    assert charts.nines(0.5) == pytest.approx(1)
    assert charts.nines(0.75) == pytest.approx(2)
    assert charts.nines(0.99) == pytest.approx(math.log2(100))
    assert charts.nines(None) is None
    assert charts.nines(1.0) == pytest.approx(-math.log2(charts.NINES_FLOOR))  # finite, not infinity


def test_nines_ticks_are_labelled_as_accuracies():
    ticks = charts.nines_ticks()
    labels = dict(zip(ticks["text"], ticks["vals"]))
    assert labels["90%"] == pytest.approx(math.log2(10), abs=1e-6)
    assert labels["99%"] == pytest.approx(math.log2(100), abs=1e-6)
    assert labels["99.9%"] == pytest.approx(math.log2(1000), abs=1e-6)
    assert ticks["vals"] == sorted(ticks["vals"])


def test_downsampling_keeps_short_curves_and_log_spaces_long_ones():
    assert charts.log_indices(10, 300) == list(range(10))
    keep = charts.log_indices(3000, 300)
    assert keep[0] == 0 and keep[-1] == 2999 and len(keep) <= 300
    assert keep == sorted(set(keep))
    assert keep[:20] == list(range(20))  # dense at the start...
    assert keep[-1] - keep[-2] > 10  # ...sparse at the end
    gaps = [math.log(b + 1) - math.log(a + 1) for a, b in zip(keep[150:], keep[151:])]
    assert max(gaps) < 3 * min(gaps)  # roughly even in log epochs once past the integer steps
    columns = {"epoch": list(range(1, 3001)), "acc": [i / 3000 for i in range(3000)]}
    small = charts.downsample(columns, 300)
    assert small["epoch"][0] == 1 and small["epoch"][-1] == 3000
    assert len(small["epoch"]) == len(small["acc"]) == len(keep)


def test_inline_json_cannot_close_its_script_tag():
    text = charts.inline_json({"name": "</script><script>alert(1)</script> & <!-- \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script> & <!-- \u2028"


def test_plotly_names_are_escaped_markup():
    assert charts.plotly_text("<script>alert(1)</script> & co") == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"


def test_a_variant_named_as_markup_is_text_everywhere_in_the_page(tmp_path):
    sample.build(tmp_path / "site")
    html = (tmp_path / "site" / "activation-functions.html").read_text(encoding="utf-8")
    assert sample.EVIL not in html
    assert "<b>GPU</b>" not in html
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html
    blobs = re.findall(r'<script type="application/json" class="chart-data">(.*?)</script>', html, re.S)
    assert blobs and all("<" not in blob for blob in blobs)
    specs = [json.loads(blob) for blob in blobs]
    evil = [s for spec in specs for s in spec["series"] if s["variant"] == sample.EVIL]
    assert evil and evil[0]["name_html"] == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_legends_read_variants_in_the_words_of_the_labels_module():
    # the unit tests of the words are tests/test_labels.py; a chart asks the same helper
    vs = [variant("SimpleNet2", depth=0, activation=a) for a in ("none", "ReLU")]
    assert charts.labels is labels.labels
    assert charts.labels(vs) == {vs[0].name: "no activation", vs[1].name: "ReLU"}


def test_every_legend_of_the_sample_labels_a_value_the_same_way():
    context = content.read_context(sample.SRC, sample.RUNS, sample.investigations(), sample.MODELS)
    seen: dict[str, set[str]] = {}
    for page in context.investigation_pages():
        inv = context.investigations[page.investigation]
        for chart in page.charts.values():
            spec = charts.chart_spec(chart, inv, "x", charts.PAGE_POINTS)
            for view in spec["views"]:
                for index, _colour, label in view["series"]:
                    seen.setdefault(spec["series"][index]["variant"], set()).add(label)
    none = "SimpleNet2[activation=none,depth=0]"
    # in words wherever it shows: what differs beside others, in full where it is alone
    assert seen[none] - {"SimpleNet2 · no activation · depth 0"} == {"no activation"}, seen[none]


def test_the_seeds_of_a_variant_keep_prefixes_of_one_epoch_list():
    grid = charts.log_indices(3000, 60)
    keep = charts.kept_indices(grid, [3000, 2500, 40])
    assert {39, 2499, 2999} <= set(keep) and keep == sorted(set(keep))
    assert set(keep) - {39, 2499} <= set(grid)
    # each run keeps the indices it reached: a prefix, so index i is one epoch in every seed
    for n in (3000, 2500, 40):
        reached = [i for i in keep if i < n]
        assert reached == keep[:len(reached)] and reached[-1] == n - 1


def test_page_numbers_are_compact_and_decode_exactly():
    assert charts.compact(36.0004, 3) == 36 and isinstance(charts.compact(36.0004, 3), int)
    assert charts.compact(0.123456, 3) == 0.123 and charts.compact(None, 3) is None
    values = [11350, None, 97000, 99120, None, 99130]
    encoded = charts.deltas(values)
    assert encoded == [11350, None, 85650, 2120, None, 10]
    total, decoded = 0, []
    for d in encoded:  # as undelta in static/js/charts.js
        decoded.append(None if d is None else (total := total + d))
    assert decoded == values
    assert charts.seconds_anchors(10) == [0, 4, 8, 9] and charts.seconds_anchors(9) == [0, 4, 8]
    assert charts.seconds_anchors(1) == [0] and charts.seconds_anchors(0) == []


def test_a_faceted_chart_has_one_view_per_value_and_embeds_each_run_once(tmp_path):
    from experiments import discover
    from tests.site_fixtures import write_run

    inv_spec = discover()["depth-of-architecture"]
    runs = tmp_path / "runs"
    chosen = [variant("SimpleNet2", depth=d, activation=a) for d in (0, 10) for a in ("ReLU", "sigmoid")]
    for v in chosen:
        write_run(runs, inv_spec.name, v, 1729, epochs=20, collapsed=v.kwargs == {"activation": "sigmoid", "depth": 10})
    inv = site_runs.load_investigation(inv_spec, runs, [])
    chart = chart_element.ChartDef("c", "t", context.Selection(family="SimpleNet2"), facet=("depth", "activation"))
    spec = charts.chart_spec(chart, inv, "c", 100)
    # views in declaration order, by depth then by activation; a view with no runs is left out
    assert [v["label"] for v in spec["views"]] == ["depth = 0", "depth = 10", "activation = ReLU",
                                                   "activation = sigmoid"]
    by_label = {v["label"]: v for v in spec["views"]}
    assert [e[2] for e in by_label["depth = 10"]["series"]] == ["ReLU", "sigmoid"]  # names that say what they are
    assert [e[2] for e in by_label["activation = sigmoid"]["series"]] == ["depth 0", "depth 10"]
    assert len(spec["series"]) == 4  # each run once, though two views show it
    notes = {s["variant"]: s["runs"]["1729"].get("note") for s in spec["series"]}
    # the one-class run is marked (collapsed, or not learning yet while its loss still falls)
    assert notes[chosen[3].name] in ("collapsed", "not learning yet") and notes[chosen[0].name] is None
    small = charts.chart_spec(chart, inv, "c", 100, first_view_only=True)
    assert len(small["views"]) == 1 and len(small["series"]) == 2


def test_the_table_says_collapsed_and_diverged_in_the_status_column(tmp_path):
    from tests.site_fixtures import make_record

    v = variant("SimpleNet2", depth=10, activation="sigmoid")
    flat = [2.3013] * 30  # a training loss that stopped falling: with one-class predictions, collapse
    one_class = make_record("depth-of-architecture", v, 1729, collapsed=True)
    one_class["epochs"]["train_loss"] = flat
    assert tables._cells(tables.run_row(one_class))["status"].text == "collapsed"
    one_class["epochs"]["train_loss"] = [2.31 - 0.001 * i for i in range(30)]  # still falling
    assert tables._cells(tables.run_row(one_class))["status"].text == "not learning yet"
    running = make_record("depth-of-architecture", v, 1729, status="running", collapsed=True)
    running["epochs"]["train_loss"] = flat
    assert tables._cells(tables.run_row(running))["status"].text == "collapsed, running"
    diverged = make_record("depth-of-architecture", v, 1729, status="diverged")  # predicts one class too
    assert tables._cells(tables.run_row(diverged))["status"].text == "diverged"
    healthy = tables.run_row(make_record("depth-of-architecture", v, 1729))
    assert tables._cells(healthy)["status"].text == "complete" and healthy["note"] is None


def test_table_numbers_are_formatted_for_reading():
    assert tables.si(19_176_000_000, "FLOP") == "19.18 GFLOP"
    assert tables.percent(0.97831) == "97.83%" and tables.percent(None) == "–"
    assert tables.duration(0.42) == "0.42 s" and tables.duration(245) == "4 m 05 s"
    assert tables.duration(4 * 3600 - 60) == "3 h 59 m"


def test_methodology_numbers_come_from_the_training_defaults():
    from battleground.core.config import DEFAULTS, SEEDS, format_budget

    d = formatted_defaults()
    assert d["batch_size"] == str(DEFAULTS.batch_size) and d["lr"] == format(DEFAULTS.lr, "g")
    assert d["val_size"] == f"{DEFAULTS.val_size:,}" and d["test_size"] == f"{DEFAULTS.test_size:,}"
    assert d["val_split_seed"] == str(DEFAULTS.val_split_seed) and d["budget"] == format_budget(DEFAULTS.budget_s)
    assert d["seeds"] == ", ".join(map(str, SEEDS))


def test_model_source_is_read_as_text_with_decorators_and_never_imported(tmp_path):
    sources = model_sources(sample.MODELS)
    assert list(sources) == ["SimpleNet2", "LeNet5"]
    assert sources["SimpleNet2"].startswith("class SimpleNet2(nn.Module):")
    assert sources["LeNet5"].rstrip().endswith("return self.features(x)")
    broken = tmp_path / "models.py"
    broken.write_text("class A(:\n", encoding="utf-8")
    with pytest.raises(SiteError, match="line 1"):
        model_sources(broken)


def test_front_matter_needs_its_fences(tmp_path):
    with pytest.raises(SiteError, match="between two '---' lines"):
        split_front_matter("title: x\n", tmp_path / "page.md")
    meta, body, first = split_front_matter("---\ntitle: x\n---\nhello\n", tmp_path / "page.md")
    assert meta == {"title": "x"} and body == "hello\n" and first == 4


def test_building_the_site_never_imports_torch(tmp_path):
    code = (
        "import sys\n"
        "from tests.golden import sample\n"
        f"sample.build(__import__('pathlib').Path({str(tmp_path / 'site')!r}))\n"
        "from battleground.site import builder\n"
        # the real site with its own model source (read as text): its models page shows every family
        f"assert builder.main(['--out', {str(tmp_path / 'site2')!r}]) == 0\n"
        "bad = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
        "assert not bad, bad\n"
        "print('no torch')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "no torch" in done.stdout


def test_the_real_site_source_builds(tmp_path):
    """site_src/ with no runs at all: every page renders, the investigation says no results yet."""
    from battleground.site import builder

    result = builder.build(tmp_path / "site", runs=tmp_path / "runs")  # and its own model source
    assert {"index.html", "activation-functions.html", "methodology.html", "models.html", "about.html",
            "performance.html"} <= set(result.written)
    assert any("has no runs" in w for w in result.warnings)
    assert "No results yet" in (tmp_path / "site" / "activation-functions.html").read_text(encoding="utf-8")
    assert "No benchmark results yet" in (tmp_path / "site" / "performance.html").read_text(encoding="utf-8")


def test_the_real_models_page_needs_a_class_for_every_family_of_the_catalogue(tmp_path):
    """{{ families }} shows each family's source: a model source without one of them fails the build."""
    from battleground.site import builder

    with pytest.raises(SiteError, match="a class for every family of the catalogue"):
        builder.build(tmp_path / "site", runs=tmp_path / "runs", models=sample.MODELS)  # a stand-in: two classes


def test_preview_server_listens_on_loopback_only_and_serves_under_its_prefix(tmp_path):
    import urllib.error
    import urllib.request

    from battleground.site.serve import start_in_thread

    (tmp_path / "index.html").write_text("<p>hi</p>", encoding="utf-8")
    server, url = start_in_thread(tmp_path, prefix="/sub/site/")
    try:
        assert server.server_address[0] == "127.0.0.1" and url.endswith("/sub/site/")
        assert urllib.request.urlopen(url + "index.html").read() == b"<p>hi</p>"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url.replace("/sub/site/", "/index.html"))
    finally:
        server.shutdown()
        server.server_close()


def test_preview_server_serves_files_and_lists_no_folder(tmp_path):
    import urllib.error
    import urllib.request

    from battleground.site.serve import start_in_thread

    (tmp_path / "data" / "runs").mkdir(parents=True)
    (tmp_path / "data" / "runs" / "a.json").write_text("{}", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.html").write_text("<p>docs</p>", encoding="utf-8")
    server, url = start_in_thread(tmp_path)
    try:
        assert urllib.request.urlopen(url + "data/runs/a.json").read() == b"{}"
        assert urllib.request.urlopen(url + "docs/").read() == b"<p>docs</p>"  # a folder's index.html
        for folder in ("", "data/", "data/runs/"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url + folder)
            assert refused.value.code == 404 and b"a.json" not in refused.value.read(), folder
    finally:
        server.shutdown()
        server.server_close()


def test_a_where_value_names_a_number_however_yaml_read_it():
    swept = variant("SimpleNet2", depth=0, activation="ReLU", lr=0.001)
    for written in (0.001, "1e-3", "0.001", 1e-3):  # YAML reads 1e-3 as the string "1e-3"
        assert context.Selection(where=(("lr", written),)).matches(swept)
    assert not context.Selection(where=(("lr", "1e-2"),)).matches(swept)
    assert not context.Selection(where=(("activation", "1e-3"),)).matches(swept)
    assert context.Selection(where=(("depth", 0),)).matches(swept)


def test_a_chart_with_a_run_the_profiler_undercounts_shows_the_complete_count(tmp_path):
    from battleground.core import records
    from experiments import discover
    from tests.site_fixtures import write_run

    inv_spec = discover()["activation-functions"]
    runs = tmp_path / "runs"
    relu, tanh = variant("SimpleNet2", depth=0, activation="ReLU"), variant("LeNet5", activation="tanh")
    write_run(runs, inv_spec.name, relu, 1729, epochs=5)
    path = write_run(runs, inv_spec.name, tanh, 1729, epochs=5)
    chart = chart_element.ChartDef("c", "t", context.Selection())
    spec = charts.chart_spec(chart, site_runs.load_investigation(inv_spec, runs, []), "c", 100)
    assert "profiler count" in spec["x_titles"]["flops"]
    record = records.load_record(path)
    record["flops"]["profiler_complete"] = False  # as for a Conv3d net
    records.write_record(path, record)
    spec = charts.chart_spec(chart, site_runs.load_investigation(inv_spec, runs, []), "c", 100)
    assert "complete count" in spec["x_titles"]["flops"]
    per_epoch = {s["variant"]: s["runs"]["1729"]["flops_per_epoch"] for s in spec["series"]}
    assert per_epoch[tanh.name] == record["flops"]["per_step_complete"] * record["flops"]["steps_per_epoch"]


def test_a_variant_row_summarises_its_seeds_as_mean_and_sample_std_with_seeds_counted():
    from tests.site_fixtures import make_record

    v = variant("SimpleNet2", depth=1, activation="ReLU")
    runs = [tables.run_row(make_record("depth-of-architecture", v, seed, epochs=e)) for seed, e in ((1, 10), (2, 12))]
    runs[1]["status"] = "running"
    missing = {key: None for key, _, _ in tables.COLUMNS + tables.RECIPE_COLUMNS} | {
        "variant": v.name, "seed": 3, "status": "not run", "note": None, "command": None}
    (summary, group), = tables.variant_groups(runs + [missing])
    assert group == runs + [missing]
    finals = [r["final_val"] for r in runs]
    assert summary["final_val"] == pytest.approx(sum(finals) / 2)
    assert summary["final_val_std"] == pytest.approx(abs(finals[0] - finals[1]) / math.sqrt(2))  # n - 1
    assert (summary["seeds_run"], summary["seeds_declared"], summary["final_val_n"]) == (2, 3, 2)
    assert summary["status"] == "1 complete, 1 running, 1 not run"
    cells = tables._summary_cells(summary)
    assert cells["seed"].text == "2 of 3" and cells["epochs"].text == "10–12" and cells["epochs"].sort == 11
    mean, std = (tables.percent(summary["final_val"]), tables.percent(summary["final_val_std"]))
    assert cells["final_val"].text == f"{mean} ± {std}"
    # a seed's row leaves empty what its variant's row already says, never a metric
    seed_cells = tables._seed_cells(runs[0], cells)
    assert seed_cells["parameters"].text == "" and seed_cells["final_val"].text == tables.percent(finals[0])
    assert seed_cells["epochs"].text == "10"


def test_one_seed_shows_its_value_without_a_spread_and_no_seed_shows_a_dash():
    assert tables._spread(0.9, None, 1, tables.percent) == "90.00%"
    assert tables._spread(None, None, 0, tables.percent) == "–"
    assert tables.mean_std([0.5]) == (0.5, None) and tables.mean_std([]) == (None, None)


def test_the_results_csv_keeps_a_row_and_a_command_per_run():
    context = content.read_context(sample.SRC, sample.RUNS, sample.investigations(), sample.MODELS)
    page = context.page("activation-functions")
    text = tables.table_csv(page.tables["results"], context.investigations[page.investigation])
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text)))
    relu = [r for r in rows if r["variant"] == "SimpleNet2[activation=ReLU,depth=0]"]
    assert len(relu) == 3 and all(r["command"].startswith("battleground run activation-functions --variant")
                                  and f"--seed {r['seed']} " in r["command"] for r in relu)
