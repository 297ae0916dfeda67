"""``{{ chart: <id> }}``: learning curves of the variants a chart of the front matter's ``charts``
selects (:mod:`battleground.site.charts` computes them, ``static/js/charts.js`` draws them), with a
JSON and a CSV download per variant (:mod:`battleground.site.downloads`)."""

from __future__ import annotations

from pathlib import Path

from battleground.core import outcomes
from battleground.site import charts, downloads, frontmatter
from battleground.site.charts import ChartDef
from battleground.site.context import Context, InvestigationData, Page, SiteError
from battleground.site.elements.base import NO_RESULTS, Element, Rendering

AXES_X = ("flops", "epochs", "seconds")
AXES_Y = ("linear", "nines")
FLOPS_METHODS = ("profiler", "complete")
FIELDS = {
    "id": frontmatter.ID_FIELD,
    "title": (str, "a string", True),
    "caption": (str, "a string", False),
    **frontmatter.SELECTION_FIELDS,
    "x": (str, "one of " + ", ".join(AXES_X), False),
    "y": (str, "one of " + ", ".join(AXES_Y), False),
    "seed": frontmatter.SEED_FIELD,
    "flops": (str, "one of " + ", ".join(FLOPS_METHODS), False),
    "facet": ((str, list), "a model parameter, or a list of them, to show one value at a time", False),
}


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> ChartDef:
    selection = frontmatter.selection(item, inv, path, prefix)
    metric = outcomes.problem_of(inv.spec.config.problem).headline
    if item.get("y") == "nines" and metric.unit != "fraction":  # -log2(1 - x) means nothing for an error
        raise SiteError(path, f"{prefix}.y", f"linear: the nines scale is for a fraction, and {metric.column} is not",
                        "nines")
    return ChartDef(
        id=item["id"], title=item["title"], caption=item.get("caption") or "",
        selection=selection, facet=frontmatter.facet(item, selection, inv, path, prefix),
        x=frontmatter.enum(item, "x", AXES_X, path, prefix), y=frontmatter.enum(item, "y", AXES_Y, path, prefix),
        seed=frontmatter.seed(item, inv, path, prefix, inv.spec.seeds[0]),
        flops=frontmatter.enum(item, "flops", FLOPS_METHODS, path, prefix),
    )


def dom_id(page: Page, chart_id: str) -> str:
    return f"chart-{page.slug}-{chart_id}"


def render_chart(r: Rendering, page: Page, chart_id: str, points: int, small: bool = False) -> str:
    """One chart of ``page`` (another page's, for the home page's headline charts)."""
    r.needs.add("charts")
    chart = page.charts[chart_id]
    inv = r.context.investigations[page.investigation]
    figure_id = dom_id(page, chart_id) + ("-headline" if small else "")
    spec = charts.chart_spec(chart, inv, figure_id, points, first_view_only=small)
    series_index = {series["variant"]: i for i, series in enumerate(spec["series"])}
    return r.template("chart.html").render(
        chart=chart, spec=spec, data_json=charts.inline_json(spec), dom_id=figure_id, small=small,
        downloads=[] if small else downloads.chart_links(chart, inv, series_index),
        no_results=NO_RESULTS,
    )


def render(r: Rendering, chart_id: str | None) -> str:
    return render_chart(r, r.page, chart_id, charts.PAGE_POINTS)


def files(page: Page, context: Context) -> dict[str, str]:
    if not page.charts:
        return {}
    return downloads.files(page.charts.values(), context.investigations[page.investigation])


ELEMENT = Element(kind="chart", render=render, front_matter="charts", fields=FIELDS, define=define,
                  needs=("charts",), files=files)
