"""The element registry: a page element is one module registered in one place, and the
placeholder parser, the page reader, the renderer and the builder serve a new one unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from battleground.core.spec import Investigation, variant
from battleground.site import builder, frontmatter
from battleground.site.context import InvestigationData, Page, SiteError
from battleground.site.elements import registry
from battleground.site.elements.base import Element, Rendering, data_path
from tests.golden import sample
from tests.site_fixtures import write_run

RELU = variant("SimpleNet2", depth=0, activation="ReLU")
TANH = variant("SimpleNet2", depth=0, activation="tanh")
INV = Investigation("element-sample", "Does a new element work?", (RELU, TANH))


@dataclass(frozen=True)
class CountDef:
    id: str
    family: str


def _define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> CountDef:
    selection = frontmatter.selection(item, inv, path, prefix)
    return CountDef(item["id"], selection.family)


def _render(r: Rendering, count_id: str | None) -> str:
    count = r.page.defined("run_counts")[count_id]
    n = sum(1 for run in r.investigation.runs if run.variant.family == count.family)
    return f'<p class="run-count" id="count-{count_id}">{n} runs of {count.family}</p>'


def _files(page: Page, context) -> dict[str, str]:
    return {data_path(page.investigation, f"{c.id}.txt"): c.family for c in page.defined("run_counts").values()}


# The element a test adds: {{ run_count: <id> }}, defined in front matter as run_counts.
RUN_COUNT = Element(
    kind="run_count", render=_render, front_matter="run_counts", define=_define, files=_files,
    fields={"id": frontmatter.ID_FIELD, **frontmatter.SELECTION_FIELDS}, entries_are="run counts")
PAGE = """---
title: Counts
summary: Runs counted.
order: 1
investigation: element-sample
run_counts:
  - id: simple
    family: SimpleNet2
---

{{ run_count: simple }}
"""


@pytest.fixture
def run_count():
    registry.register(RUN_COUNT)
    yield RUN_COUNT
    registry.unregister(RUN_COUNT.kind)


@pytest.fixture
def site(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.md").write_text("---\ntitle: Home\nsummary: Home.\norder: 0\n---\n\nHome.\n", encoding="utf-8")
    (src / "counts.md").write_text(PAGE, encoding="utf-8")
    for v in (RELU, TANH):
        write_run(tmp_path / "runs", INV.name, v, 1729, epochs=3)
    return tmp_path


def _build(site):
    return builder.build(site / "out", runs=site / "runs", src=site / "src", models=sample.MODELS,
                         investigations={INV.name: INV})


def test_a_registered_element_is_read_rendered_and_written_by_the_unchanged_build(site, run_count):
    _build(site)
    html = (site / "out" / "counts.html").read_text(encoding="utf-8")
    assert '<p class="run-count" id="count-simple">2 runs of SimpleNet2</p>' in html
    assert (site / "out" / "data" / INV.name / "simple.txt").read_text(encoding="utf-8") == "SimpleNet2"


def test_without_registration_the_same_page_is_refused_by_field(site):
    with pytest.raises(SiteError) as caught:
        _build(site)
    assert caught.value.field == "run_counts"


def test_a_registered_elements_front_matter_is_checked_like_any_other(site, run_count):
    page = site / "src" / "counts.md"
    for old, new, field in (("family: SimpleNet2", "family: Nope", "run_counts[0].family"),
                            ("family: SimpleNet2", "colour: red", "run_counts[0].colour"),
                            ("run_counts:\n  - id: simple\n    family: SimpleNet2", "run_counts: 3", "run_counts")):
        page.write_text(PAGE.replace(old, new), encoding="utf-8")
        with pytest.raises(SiteError) as caught:
            _build(site)
        assert caught.value.field == field
        assert str(page) in str(caught.value)
    page.write_text(PAGE.replace("{{ run_count: simple }}", "{{ run_count }}"), encoding="utf-8")
    with pytest.raises(SiteError, match=r"the placeholder written as \{\{ run_count: <id> \}\}"):
        _build(site)


def test_a_kind_or_a_front_matter_field_is_registered_once(run_count):
    with pytest.raises(ValueError, match="registered already"):
        registry.register(RUN_COUNT)
    with pytest.raises(ValueError, match="run_counts"):
        registry.register(Element(kind="other", render=_render, front_matter="run_counts", define=_define,
                                  fields=RUN_COUNT.fields))


def test_every_builtin_kind_is_registered_in_order():
    assert list(registry.elements())[:8] == ["chart", "table", "compare", "model", "defaults", "investigations",
                                             "benchmarks", "runs_summary"]
