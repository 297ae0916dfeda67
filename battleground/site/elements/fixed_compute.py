"""``{{ fixed_compute: <id> }}``: what should I pick for the compute I have? For training-FLOP
budgets on a log grid (1e11, 1e12, ... up to the largest recorded), the validation accuracy each
variant had reached by then, as a table and a chart (``static/js/fixed-compute.js``), with the
best variant at each budget highlighted.

A run's accuracy at budget B is its validation accuracy after its last epoch that ended within
B; a run whose training stopped short of B has *not reached* it, and one whose first epoch ends
after B has nothing yet. A variant's value is the mean over the seeds that reached B, and says so
when not every seed did. A page declares them in its front matter, selecting variants as a chart
does; one view holds one data set and task, so its best variant is a fair pick::

    fixed_compute:
      - id: budgets
        title: Accuracy at fixed training compute
        family: SimpleNet2
        flops: profiler        # or complete (as a chart's flops)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from battleground.core import outcomes
from battleground.core.outcomes import mean, rounded
from battleground.site import charts, frontmatter
from battleground.site.context import Context, InvestigationData, Page, Selection, SiteError
from battleground.site.elements.base import NO_RESULTS, Element, Rendering, data_path
from battleground.site.tables import si

FLOPS_METHODS = ("profiler", "complete")
NOT_REACHED = "not reached"  # the run stopped training before the budget
NOT_YET = "no epoch yet"  # its first epoch ends after the budget
FIELDS = {
    "id": frontmatter.ID_FIELD,
    "title": (str, "a string", True),
    "caption": (str, "a string", False),
    **frontmatter.SELECTION_FIELDS,
    "flops": (str, "one of " + ", ".join(FLOPS_METHODS), False),
}


@dataclass(frozen=True)
class FixedComputeDef:
    id: str
    title: str
    selection: Selection
    flops: str = "profiler"
    caption: str = ""


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> FixedComputeDef:
    selection = frontmatter.selection(item, inv, path, prefix)
    tasks = {(v.kwargs.get("dataset", inv.spec.config.dataset), v.kwargs.get("problem", inv.spec.config.problem))
             for v in inv.variants if selection.matches(v)}
    if len(tasks) > 1:
        raise SiteError(path, prefix.rstrip("."), "a selection of one data set and task (the best variant at a "
                        "budget is only a fair pick among runs on the same data); it mixes "
                        + ", ".join(f"{d} {p}" for d, p in sorted(tasks)) + " (add where: {dataset: ...})")
    return FixedComputeDef(item["id"], item["title"], selection,
                           frontmatter.enum(item, "flops", FLOPS_METHODS, path, prefix), item.get("caption") or "")


def epoch_flops(record: dict, method: str) -> list[float]:
    """The cumulative training FLOPs at the end of each epoch, by ``method``'s count per step."""
    per_epoch = record["flops"][f"per_step_{method}"] * record["flops"]["steps_per_epoch"]
    return [epoch * per_epoch for epoch in record["epochs"]["epoch"]]


def budget_grid(records_: Sequence[dict], method: str) -> list[int]:
    """Powers of ten from the first that some run's first epoch fits in, up to the largest
    compute any run recorded."""
    flops = [epoch_flops(r, method) for r in records_]
    flops = [f for f in flops if f and f[-1] > 0]
    if not flops:
        return []
    low, high = min(f[0] for f in flops), max(f[-1] for f in flops)
    power = 1
    while power < low:
        power *= 10
    grid = []
    while power <= high:
        grid.append(power)
        power *= 10
    return grid


def reached(record: dict, budget: float, method: str) -> tuple[float | None, str | None]:
    """(the run's validation accuracy at ``budget``, None) or (None, why there is none): it did
    not reach the budget, or its first epoch ends after it, or it had diverged by then."""
    flops = epoch_flops(record, method)
    if not flops or flops[-1] < budget:
        return None, NOT_REACHED
    within = [i for i, f in enumerate(flops) if f <= budget]
    if not within:
        return None, NOT_YET
    accuracy = record["epochs"]["val_accuracy"][within[-1]]
    return accuracy, None if accuracy is not None else "diverged"


def view(view_def: FixedComputeDef, inv: InvestigationData) -> dict:
    """Budgets, and per variant per budget the mean over the seeds that reached it; the best
    variant of each budget marked."""
    variants = [v for v in inv.variants if view_def.selection.matches(v)]
    runs_of: dict[str, list[dict]] = {v.name: [] for v in variants}
    for run in inv.runs:
        if run.variant.name in runs_of:
            runs_of[run.variant.name].append(run.record)
    records_ = [r for rs in runs_of.values() for r in rs]
    method = charts.flops_method(view_def, [run for run in inv.runs if run.variant.name in runs_of])
    budgets = budget_grid(records_, method)
    label = charts.labels(variants)
    rows = []
    for v in variants:
        runs = sorted(runs_of[v.name], key=lambda r: r["seed"])
        if not runs:
            continue
        cells = []
        for budget in budgets:
            values = [reached(r, budget, method) for r in runs]
            known = [a for a, _ in values if a is not None]
            why = sorted({w for _, w in values if w})
            cells.append({"mean": rounded(mean(known)), "seeds": len(known), "of": len(runs),
                          "why": None if known else (why[0] if why else NOT_REACHED), "best": False})
        notes = sorted({n for n in (outcomes.outcome(r).note for r in runs) if n})
        rows.append({"variant": v.name, "label": label[v.name], "cells": cells, "notes": notes})
    best = []
    for j in range(len(budgets)):
        candidates = [(row["cells"][j]["mean"], i) for i, row in enumerate(rows) if row["cells"][j]["mean"] is not None]
        best.append(max(candidates, key=lambda c: (c[0], -c[1]))[1] if candidates else None)
    for j, i in enumerate(best):
        if i is not None:
            rows[i]["cells"][j]["best"] = True
    return {"budgets": budgets, "budget_labels": [si(b, "FLOP") for b in budgets], "rows": rows,
            "best": [None if i is None else rows[i]["variant"] for i in best], "flops": method,
            "data": charts.data_label(records_)}


def json_name(page: Page, view_id: str) -> str:
    return data_path(page.investigation, f"{view_id}.fixed-compute.json")


def render(r: Rendering, view_id: str | None) -> str:
    view_def = r.page.defined("fixed_compute")[view_id]
    data = view(view_def, r.investigation)
    return r.template("fixed_compute.html").render(
        view=view_def, data=data, data_json=charts.inline_json(data), dom_id=f"fixed-compute-{r.page.slug}-{view_id}",
        json_href=json_name(r.page, view_id), no_results=NO_RESULTS,
        leaderboard=r.context.page("leaderboard"))


def files(page: Page, context: Context) -> dict[str, str]:
    return {json_name(page, v.id): charts.inline_json(view(v, context.investigations[page.investigation])) + "\n"
            for v in page.defined("fixed_compute").values()}


ELEMENT = Element(kind="fixed_compute", render=render, front_matter="fixed_compute", fields=FIELDS, define=define,
                  entries_are="fixed-compute views", needs=("charts", "fixed-compute.js"), files=files)
