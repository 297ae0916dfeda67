"""Bad input on the site side: each is an error naming the file, the field and what was expected,
printed without a traceback (exit code 1), and a failed build leaves the previous site intact."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from battleground.core import records
from battleground.core.records import RecordError
from battleground.site import builder
from battleground.site.context import SiteError
from tests.golden import sample

ROOT = Path(__file__).resolve().parent.parent
RECORD = "SimpleNet2_activation-ReLU_depth-0.seed1729.json"

PAGE = """---
title: Activation functions
summary: A test page.
order: 1
investigation: activation-functions
charts:
  - id: mlp
    title: SimpleNet2
    family: SimpleNet2
    seed: 1729
tables:
  - id: results
---

Prose with batch size {{ config.batch_size }}.

{{ chart: mlp }}

{{ table: results }}
"""
INDEX = "---\ntitle: Home\nsummary: Home page.\norder: 0\n---\n\n{{ investigations }}\n"


@pytest.fixture
def tree(tmp_path):
    """A small valid source tree (pages, runs, models) and an already-built site in it."""
    src, runs = tmp_path / "src", tmp_path / "runs"
    src.mkdir()
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    (src / "activation-functions.md").write_text(PAGE, encoding="utf-8")
    shutil.copytree(sample.RUNS, runs)
    (runs / "activation-functions" / "markup-variant.seed1729.json").unlink()
    out = tmp_path / "site"
    builder.build(out, runs=runs, src=src, models=sample.MODELS)
    (out / "marker.txt").write_text("from the previous build", encoding="utf-8")
    return tmp_path


def run_build(tree: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "build.py", "--src", str(tree / "src"), "--runs", str(tree / "runs"),
            "--models", str(sample.MODELS), "--out", str(tree / "site"), *extra]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)


def edit_page(tree: Path, old: str, new: str) -> Path:
    path = tree / "src" / "activation-functions.md"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def edit_record(tree: Path, change) -> Path:
    path = tree / "runs" / "activation-functions" / RECORD
    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _drop(record: dict, dotted: str) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        record = record[part]
    del record[last]


PAGE_CASES = {
    # name: (old text, new text, field named, words of the expectation)
    "malformed front matter": ("title: Activation functions", "title: [unclosed", "(front matter)", "valid YAML"),
    "missing required field": ("summary: A test page.\n", "", "summary", "field is missing"),
    "wrong type": ("order: 1", "order: first", "order", "a whole number"),
    "unknown front matter field": ("order: 1", "order: 1\ncolour: red", "colour", "known fields"),
    "unknown investigation": ("investigation: activation-functions", "investigation: no-such-thing",
                              "investigation", "activation-functions"),
    "unknown variant": ("    family: SimpleNet2\n", "    variants: [\"SimpleNet2[activation=Nope,depth=0]\"]\n",
                        "charts[0].variants[0]", "a variant of investigation"),
    "unknown family": ("    family: SimpleNet2\n", "    family: ResNet50\n", "charts[0].family", "model family"),
    "unknown seed": ("    seed: 1729", "    seed: 42", "charts[0].seed", "1729, 271828, 314159"),
    "unknown axis": ("    seed: 1729", "    seed: 1729\n    y: log", "charts[0].y", "linear, nines"),
    "unknown chart placeholder": ("{{ chart: mlp }}", "{{ chart: cnn }}", "body line", "a chart defined"),
    "unknown table placeholder": ("{{ table: results }}", "{{ table: scores }}", "body line", "a table defined"),
    "unknown placeholder kind": ("{{ chart: mlp }}", "{{ graph: mlp }}", "body line", "a placeholder of kind"),
    "unknown config value": ("{{ config.batch_size }}", "{{ config.batch }}", "body line", "config.<name>"),
    "stray braces": ("Prose with", "Prose {{ with", "body line", "alone on its line"),
    "site-wide placeholder on an investigation page": ("{{ chart: mlp }}", "{{ chart: mlp }}\n\n{{ runs_summary }}",
                                                       "body line", "no {{ runs_summary }} on an investigation page"),
    "facet on a parameter not every variant has": ("    seed: 1729", "    seed: 1729\n    facet: width",
                                                  "charts[0].facet", "activation, depth"),
    "facet listed twice": ("    seed: 1729", "    seed: 1729\n    facet: [depth, depth]", "charts[0].facet",
                           "each parameter once"),
}


@pytest.mark.parametrize("case", sorted(PAGE_CASES))
def test_bad_page_is_an_error_naming_file_and_field(tree, case):
    old, new, field, expected = PAGE_CASES[case]
    path = edit_page(tree, old, new)
    with pytest.raises(SiteError) as caught:
        builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS)
    assert caught.value.path == str(path)
    assert caught.value.field.startswith(field)
    assert expected in str(caught.value)
    assert (tree / "site" / "marker.txt").exists(), "a failed build must leave the previous site"


RECORD_CASES = {
    "newer schema": (lambda r: r.update(schema=records.SCHEMA + 1), "schema", "newer"),
    "older schema": (lambda r: r.update(schema=0), "schema", "no migration"),
    "missing field": (lambda r: _drop(r, "flops.steps_per_epoch"), "flops.steps_per_epoch", "missing"),
    "missing epoch column": (lambda r: _drop(r, "epochs.val_accuracy"), "epochs.val_accuracy", "missing"),
    "wrong investigation folder": (lambda r: r.update(investigation="other"), "investigation", "folder"),
}


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_bad_record_is_an_error_naming_file_and_field(tree, case):
    change, field, expected = RECORD_CASES[case]
    path = edit_record(tree, change)
    with pytest.raises((RecordError, SiteError)) as caught:
        builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS)
    assert caught.value.path == str(path) and caught.value.field == field
    assert expected in str(caught.value)


def test_cli_prints_a_truncated_record_cleanly_and_keeps_the_previous_site(tree):
    path = tree / "runs" / "activation-functions" / RECORD
    path.write_text(path.read_text(encoding="utf-8")[:300], encoding="utf-8")
    before = sorted(p.relative_to(tree / "site") for p in (tree / "site").rglob("*"))
    done = run_build(tree)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr and "'(file)'" in done.stderr and "truncated" in done.stderr
    assert sorted(p.relative_to(tree / "site") for p in (tree / "site").rglob("*")) == before
    assert not [p for p in tree.iterdir() if p.name.startswith(".site.")], "the staging folder is cleaned up"


def test_cli_prints_a_page_error_cleanly(tree):
    path = edit_page(tree, "title: Activation functions", "title: [unclosed")
    done = run_build(tree)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"error: {path}: field '(front matter)': expected valid YAML" in done.stderr
    assert (tree / "site" / "marker.txt").exists()


def test_no_runs_renders_no_results_yet_but_strict_fails(tree):
    shutil.rmtree(tree / "runs" / "activation-functions")
    done = run_build(tree)
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "has no runs" in done.stderr
    html = (tree / "site" / "activation-functions.html").read_text(encoding="utf-8")
    assert "No results yet" in html
    assert "No results yet" in (tree / "site" / "index.html").read_text(encoding="utf-8")
    (tree / "site" / "marker.txt").write_text("again", encoding="utf-8")
    strict = run_build(tree, "--strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr
    assert "activation-functions.md: field 'investigation'" in strict.stderr and "--strict" in strict.stderr
    assert (tree / "site" / "marker.txt").exists()


def test_missing_node_modules_says_to_run_npm_ci(tree):
    with pytest.raises(SiteError, match=r"npm ci"):
        builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS,
                      node_modules=tree / "node_modules")


def test_missing_models_file_is_a_clear_error(tree):
    (tree / "src" / "models.md").write_text(
        "---\ntitle: Models\nsummary: Source.\norder: 5\n---\n\n{{ model: SimpleNet2 }}\n", encoding="utf-8")
    with pytest.raises(SiteError) as caught:
        builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=tree / "models.py")
    assert caught.value.path == str(tree / "models.py") and "torch side" in str(caught.value)


def test_unknown_model_class_names_the_classes_found(tree):
    (tree / "src" / "models.md").write_text(
        "---\ntitle: Models\nsummary: Source.\norder: 5\n---\n\n{{ model: ResNet }}\n", encoding="utf-8")
    with pytest.raises(SiteError, match="SimpleNet2, LeNet5"):
        builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS)


SCRIPT_IN_PROSE = {
    # case: (prose line, what the error names)
    "script element": ("<script>alert(1)</script>", "a <script> element"),
    "script inside svg": ("<svg><script>alert(1)</script></svg>", "a <script> element"),
    "event handler": ('<img src="x.png" onerror="alert(1)">', "event-handler attribute onerror="),
    "event handler in capitals": ('<p ONCLICK="alert(1)">hi</p>', "event-handler attribute onclick="),
    "markdown javascript link": ("[click](javascript:alert(1))", "a javascript: URL in <a href=>"),
    "html javascript link": ('<a href="JavaScript:alert(1)">x</a>', "a javascript: URL"),
    "escaped javascript link": ('<a href="&#106;ava&#x73;cript:alert(1)">x</a>', "a javascript: URL"),
    "javascript link split by a tab": ('<a href="java&#9;script:alert(1)">x</a>', "a javascript: URL"),
    "iframe with a javascript source": ('<iframe src=" javascript:alert(1)"></iframe>', "a javascript: URL in <iframe"),
}


@pytest.mark.parametrize("case", sorted(SCRIPT_IN_PROSE))
def test_strict_refuses_prose_that_runs_script_which_a_normal_build_trusts(tree, case):
    line, named = SCRIPT_IN_PROSE[case]
    path = edit_page(tree, "Prose with batch size", f"{line}\n\nProse with batch size")
    builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS)  # prose is trusted
    with pytest.raises(SiteError) as caught:
        builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS, strict=True)
    number = path.read_text(encoding="utf-8").splitlines().index(line) + 1
    assert caught.value.path == str(path) and caught.value.field == f"body line {number}"
    assert "(--strict)" in str(caught.value) and named in str(caught.value)


def test_strict_accepts_ordinary_html_and_links_in_prose(tree):
    edit_page(tree, "Prose with batch size", '<em>See</em> [the notes](https://example.org/javascript:x) and '
              '<a href="notes.html" title="onclick">notes</a>.\n\nProse with batch size')
    builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS, strict=True)


def test_strict_refuses_a_heading_left_with_nothing_under_it_which_a_normal_build_warns_of(tree):
    # the slip the real pages had: a placeholder moved away and its heading stayed behind
    path = edit_page(tree, "{{ table: results }}", "## Every run\n\n## Accuracy at fixed compute\n\n{{ table: results }}")
    done = run_build(tree)
    assert done.returncode == 0, done.stderr
    number = path.read_text(encoding="utf-8").splitlines().index("## Every run") + 1
    assert f"warning: {path}: body line {number}: the heading 'Every run' has nothing under it" in done.stderr
    with pytest.raises(SiteError) as caught:
        builder.build(tree / "site", runs=tree / "runs", src=tree / "src", models=sample.MODELS, strict=True)
    assert caught.value.path == str(path) and caught.value.field == f"body line {number}"
    assert "(--strict)" in str(caught.value) and "'Every run'" in str(caught.value)
