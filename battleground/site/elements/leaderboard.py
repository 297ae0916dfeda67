"""``{{ leaderboard }}``: every variant of every investigation on one plane per data set and task:
accuracy against the training FLOPs it took to reach it (or against its parameters), with the
Pareto frontier drawn and each point linking to its investigation's page
(``static/js/leaderboard.js``). Runs of different data sets or tasks are never on one frontier.

A variant's point is the mean over its seeds of each run's best validation accuracy, and of the
training FLOPs (the complete count, so convolutional and dense networks compare fairly) after
the epoch that first reached it. Every investigation page links here (:func:`aside`).
"""

from __future__ import annotations

import html
from typing import Sequence

from battleground.core import outcomes
from battleground.core.outcomes import mean, rounded
from battleground.site import charts, labels
from battleground.site.context import Context, Page
from battleground.site.elements.base import NO_RESULTS, Element, Rendering
from battleground.site.elements.fixed_compute import epoch_flops
from battleground.site.tables import si

FLOPS = "complete"
DATA_FILE = "data/leaderboard.json"


def best_point(record: dict) -> tuple[float, float] | None:
    """(best validation accuracy, training FLOPs after the first epoch that reached it), or None
    for a run with no accuracy."""
    summary = outcomes.HEADLINE["best_val"]
    best = outcomes.summary_value(record, summary)
    if best is None:
        return None
    return best, epoch_flops(record, FLOPS)[record["epochs"][summary.source].index(best)]


def frontier(points: Sequence[dict], x: str) -> list[dict]:
    """The points no other beats: none has at most their ``x`` and a higher accuracy, nor a lower
    ``x`` and the same accuracy. In order of ``x``."""
    out: list[dict] = []
    for point in sorted(points, key=lambda p: (p[x], -p["accuracy"])):
        if not out or point["accuracy"] > out[-1]["accuracy"]:
            if out and out[-1][x] == point[x]:
                continue  # a lower accuracy at the same cost: sorted first at that cost already won
            out.append(point)
    return out


def points(context: Context) -> dict[str, list[dict]]:
    """Per data set and task (``MNIST``, ``MNIST digit pairs``, ...), one point per variant with
    runs of every investigation that has a page."""
    groups: dict[str, list[dict]] = {}
    for page in context.investigation_pages():
        inv = context.investigations[page.investigation]
        runs_of: dict[str, list[dict]] = {}
        variant_of = {}
        for run in inv.runs:
            runs_of.setdefault(run.variant.name, []).append(run.record)
            variant_of[run.variant.name] = run.variant
        for name, records_ in runs_of.items():
            best = [p for p in (best_point(r) for r in records_) if p is not None]
            if not best:
                continue
            group = charts.data_label(records_[:1])
            groups.setdefault(group, []).append({
                "variant": name, "label": labels.full(variant_of[name], inv.spec.config),
                "investigation": page.title, "href": page.filename,
                "accuracy": rounded(mean([a for a, _ in best])), "flops": float(f"{mean([f for _, f in best]):.4g}"),
                "flops_text": si(mean([f for _, f in best]), "FLOP"),
                "parameters": records_[0]["model"]["parameters"], "seeds": len(best)})
    return {group: sorted(found, key=lambda p: (p["investigation"], p["variant"])) for group, found in sorted(groups.items())}


def view(context: Context) -> list[dict]:
    out = []
    for group, found in points(context).items():
        on_frontier = frontier(found, "flops")
        out.append({"data": group, "points": found,
                    "frontier": {"flops": [found.index(p) for p in on_frontier],
                                 "parameters": [found.index(p) for p in frontier(found, "parameters")]},
                    "rows": [{**p, "label": labels.unbroken(p["label"])} for p in on_frontier]})
    return out


def render(r: Rendering, _: str | None) -> str:
    groups = view(r.context)
    return r.template("leaderboard.html").render(
        groups=[{**g, "json": charts.inline_json({k: g[k] for k in ("data", "points", "frontier")})} for g in groups],
        data_href=DATA_FILE, no_results=NO_RESULTS)


def files(page: Page, context: Context) -> dict[str, str]:
    if "leaderboard" not in page.kinds:
        return {}
    return {DATA_FILE: charts.inline_json(view(context)) + "\n"}


def aside(page: Page, context: Context) -> str:
    """On every investigation page, a link to the page that places the leaderboard, if one does."""
    board = next((p for p in context.pages if "leaderboard" in p.kinds), None)
    if board is None or not page.investigation:
        return ""
    return (f'<p class="see-also">Every variant of every investigation, on one accuracy-for-compute frontier per '
            f'data set: <a href="{board.filename}">{html.escape(board.title)}</a>.</p>')


ELEMENT = Element(kind="leaderboard", render=render, site_wide=True, needs=("charts", "leaderboard.js"),
                  files=files, aside=aside)
