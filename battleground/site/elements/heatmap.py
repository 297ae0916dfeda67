"""``{{ heatmap: <id> }}``: a two-parameter grid of variants (depth × activation, say) as one
heatmap. A cell's colour is the mean over seeds of the chosen accuracy (final or best validation,
or test), its text marks runs that collapsed or diverged, and its hover lists every seed's value;
a selector switches the metric. ``static/js/heatmap.js`` draws it with Plotly.

A page declares heatmaps in its front matter, selecting variants as a chart does::

    heatmaps:
      - id: grid
        title: Final accuracy by depth and activation
        family: SimpleNet2
        rows: depth            # a parameter of every selected variant: one row per value
        columns: activation    # ... one column per value
        metric: final_val      # the metric shown first: final_val, best_val or test
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from battleground.core import catalogue, outcomes
from battleground.core.outcomes import mean, rounded
from battleground.site import charts, frontmatter
from battleground.site.context import Context, InvestigationData, Page, Selection, SiteError
from battleground.site.elements.base import NO_RESULTS, Element, Rendering, data_path

METRICS = {key: s.label for key, s in outcomes.HEADLINE.items()}  # key -> label: final_val, best_val, test

FIELDS = {
    "id": frontmatter.ID_FIELD,
    "title": (str, "a string", True),
    "caption": (str, "a string", False),
    **frontmatter.SELECTION_FIELDS,
    "rows": (str, "a parameter of every variant the heatmap selects, one row per value", True),
    "columns": (str, "a parameter of every variant the heatmap selects, one column per value", True),
    "metric": (str, "one of " + ", ".join(METRICS), False),
}


@dataclass(frozen=True)
class HeatmapDef:
    id: str
    title: str
    selection: Selection
    rows: str
    columns: str
    metric: str = "final_val"
    caption: str = ""


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> HeatmapDef:
    selection = frontmatter.selection(item, inv, path, prefix)
    selected = [v for v in inv.variants if selection.matches(v)]
    common = sorted(set.intersection(*(set(v.kwargs) for v in selected)))
    for axis in ("rows", "columns"):
        if item[axis] not in common:
            raise SiteError(path, prefix + axis, "a parameter of every variant the heatmap selects: "
                            + (", ".join(common) or "none in common"), item[axis])
    if item["rows"] == item["columns"]:
        raise SiteError(path, prefix + "columns", "a parameter other than the rows'", item["columns"])
    cells: dict[tuple[str, str], str] = {}
    for v in selected:
        key = (_value(v.kwargs[item["rows"]]), _value(v.kwargs[item["columns"]]))
        if key in cells:
            raise SiteError(path, prefix.rstrip("."), f"variants that form a grid: one per {item['rows']} and "
                            f"{item['columns']}, but {cells[key]} and {v.name} share {key[0]} and {key[1]} "
                            "(narrow the selection with family, where or variants)")
        cells[key] = v.name
    return HeatmapDef(item["id"], item["title"], selection, item["rows"], item["columns"],
                      frontmatter.enum(item, "metric", tuple(METRICS), path, prefix), item.get("caption") or "")


def _value(value: Any) -> str:
    return catalogue.format_value(value)


def _ordered(values: list[Any]) -> list[Any]:
    """Numbers in numeric order, anything else in the order declared."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return values


def grid(heatmap: HeatmapDef, inv: InvestigationData) -> dict:
    """The heatmap's data: row and column labels, and per cell the variant, each seed's values of
    every metric and notes, and the means over seeds."""
    selected = [v for v in inv.variants if heatmap.selection.matches(v)]
    row_values = _ordered(list(dict.fromkeys(v.kwargs[heatmap.rows] for v in selected)))
    column_values = _ordered(list(dict.fromkeys(v.kwargs[heatmap.columns] for v in selected)))
    rows, columns = [_value(v) for v in row_values], [_value(v) for v in column_values]
    runs_of: dict[str, list] = {}
    for run in inv.runs:
        runs_of.setdefault(run.variant.name, []).append(run)
    cells: list[list[dict | None]] = [[None] * len(columns) for _ in rows]
    for v in selected:
        runs = sorted(runs_of.get(v.name, []), key=lambda run: run.record["seed"])
        if not runs:
            continue
        found = [outcomes.outcome(run.record) for run in runs]
        # a seed's note (collapsed, diverged, ...) only where it has one: most have none, and the
        # page carries every cell of a hundred variants
        seeds = [{"seed": run.record["seed"], **({"note": o.note} if o.note else {}),
                  **{key: rounded(o.values[key]) for key in METRICS}} for run, o in zip(runs, found)]
        cell = {"variant": v.name, "seeds": seeds,
                "mean": {key: rounded(mean([s[key] for s in seeds])) for key in METRICS}}
        cells[rows.index(_value(v.kwargs[heatmap.rows]))][columns.index(_value(v.kwargs[heatmap.columns]))] = cell
    records_ = [run.record for run in inv.runs if heatmap.selection.matches(run.variant)]
    return {"rows": rows, "columns": columns, "row_name": heatmap.rows, "column_name": heatmap.columns,
            "cells": cells, "metric": heatmap.metric, "metrics": METRICS, "data": charts.data_label(records_),
            "classes": max((r.get("classes", 10) for r in records_), default=10)}


def json_name(page: Page, heatmap_id: str) -> str:
    return data_path(page.investigation, f"{heatmap_id}.heatmap.json")


def render(r: Rendering, heatmap_id: str | None) -> str:
    heatmap = r.page.defined("heatmaps")[heatmap_id]
    data = grid(heatmap, r.investigation)
    has_runs = any(cell for row in data["cells"] for cell in row)
    return r.template("heatmap.html").render(
        heatmap=heatmap, data=data, data_json=charts.inline_json(data), has_runs=has_runs,
        dom_id=f"heatmap-{r.page.slug}-{heatmap_id}", json_href=json_name(r.page, heatmap_id),
        no_results=NO_RESULTS)


def files(page: Page, context: Context) -> dict[str, str]:
    inv = context.investigations.get(page.investigation) if page.investigation else None
    return {json_name(page, h.id): charts.inline_json(grid(h, inv)) + "\n"
            for h in page.defined("heatmaps").values()}


ELEMENT = Element(kind="heatmap", render=render, front_matter="heatmaps", fields=FIELDS, define=define,
                  entries_are="heatmaps", needs=("charts", "heatmap.js"), files=files)
