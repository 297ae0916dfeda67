"""Chart data: learning curves of the runs a chart selects, for the page and for download.

Pure functions of the context. The page gets each curve downsampled to about a hundred log-spaced
points in compact numbers (a run can have 3,000+ epochs, a page 200+ runs); the download files
(``downloads.py``) get every epoch of every run. The browser (``static/js/charts.js``) turns this data into Plotly
traces, so switching axes, scale, seed and facet view needs no second copy of the data.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from battleground.core import catalogue, outcomes
from battleground.site import reproduce
from battleground.core.config import SEEDS
from battleground.site.context import InvestigationData, Run, Selection
from battleground.site.csv_text import safe_cell
from battleground.site.labels import labels  # legends, hovers and tables read a variant alike
from battleground.core.spec import Variant

# Points per trace. A full-size depth page carries 216 runs, and an investigation page must stay
# under 300 KB (tests/test_site_weight.py); log-spacing keeps the early epochs, where curves
# change most, at full resolution.
PAGE_POINTS = 100  # per trace on an investigation page: log-spaced, smooth to the eye, light at 3,000 epochs
HEADLINE_POINTS = 60  # per trace in the small charts of the home page
ACC_SCALE = 100_000  # accuracies travel to the page as whole hundred-thousandths
SECONDS_STRIDE = 4  # cumulative seconds travel at every 4th kept point (see seconds_anchors)
NINES_FLOOR = 1e-6  # 1 - accuracy is clamped here, so a perfect score plots at ~20 nines, not infinity
NINES_TICKS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999, 0.99999)
X_TITLES = {
    "flops": "training FLOPs ({method} count, cumulative)",
    "epochs": "epochs",
    "seconds": "training time, seconds (cumulative)",
}


@dataclass(frozen=True)
class ChartDef:
    """A chart of a page's front matter, as ``{{ chart: <id> }}`` (:mod:`.elements.chart`) reads it."""

    id: str
    title: str
    selection: Selection
    x: str = "flops"
    y: str = "linear"
    seed: int | str = SEEDS[0]  # a seed, or "all" for the min–max band across seeds
    flops: str = "profiler"
    caption: str = ""
    # Model parameters to facet by: one view per value, picked with a selector, so one definition
    # draws e.g. "one chart per depth" and "one chart per activation" from data embedded once.
    facet: tuple[str, ...] = ()


def nines(accuracy: float | None) -> float | None:
    """``-log2(1 - accuracy)``: each unit halves the error rate (1 = 50%, 3.32 = 90%, 6.64 = 99%)."""
    if accuracy is None:
        return None
    return -math.log2(max(1.0 - accuracy, NINES_FLOOR))


def nines_ticks() -> dict[str, list]:
    """Tick positions on the nines scale and their labels as accuracies (90%, 99%, 99.9%, …)."""
    return {
        "vals": [round(nines(a), 6) + 0.0 for a in NINES_TICKS],  # + 0.0: no -0.0
        "text": [f"{a * 100:.3f}".rstrip("0").rstrip(".") + "%" for a in NINES_TICKS],
    }


def log_indices(n: int, points: int) -> list[int]:
    """At most about ``points`` indices into ``n`` epochs, log-spaced (dense early, sparse late),
    always keeping the first and the last."""
    if n <= points:
        return list(range(n))
    picks = np.unique(np.round(np.geomspace(1, n, points)).astype(int) - 1)
    return sorted({0, n - 1, *picks.tolist()})


def downsample(columns: dict[str, Sequence], points: int) -> dict[str, list]:
    """The same columns, at the log-spaced indices of :func:`log_indices`."""
    n = len(next(iter(columns.values()))) if columns else 0
    keep = log_indices(n, points)
    return {name: [values[i] for i in keep] for name, values in columns.items()}


def plotly_text(text: str) -> str:
    """Text for Plotly names and hover labels, which Plotly renders as HTML-like markup."""
    return html.escape(text, quote=False)


def significant(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def compact(value: float | None, digits: int) -> int | float | None:
    """``value`` to ``digits`` significant digits, written as an int when whole (``36``, not
    ``36.0``): every byte of a page's curves is repeated some 30,000 times on a full-size page."""
    rounded = significant(value, digits)
    return int(rounded) if rounded is not None and rounded.is_integer() and abs(rounded) < 2**53 else rounded


def cumulative_sum(values: Iterable[float | None]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value or 0.0
        out.append(total)
    return out


def kept_indices(grid: Sequence[int], lengths: Sequence[int]) -> list[int]:
    """Epoch indices kept on the page for the seeds of one variant: the chart's log-spaced
    ``grid`` up to the longest run, plus every run's last epoch. Each run keeps the ones it
    reached, so the runs' kept epochs are prefixes of one list: the browser rebuilds it from the
    grid and the run lengths (``charts.js``), and takes the seed band point by point over the
    runs' common prefix."""
    longest = max(lengths, default=0)
    return sorted({*(i for i in grid if i < longest), *(n - 1 for n in lengths if n)})


def seconds_anchors(n: int) -> list[int]:
    """Which of a run's ``n`` kept points carry their cumulative seconds: every
    :data:`SECONDS_STRIDE`-th and the last. The browser interpolates the others linearly in
    epochs, which is exact while epochs take equal time; the seconds were half a full-size page's
    bytes, for an axis that only needs to place a curve in wall-clock time."""
    return sorted({*range(0, n, SECONDS_STRIDE), n - 1}) if n else []


def deltas(values: Sequence[int | None]) -> list[int | None]:
    """Each value as its difference from the previous non-null one (the first from 0): late in
    training accuracy moves by a few units a point, so ``7`` replaces ``99130``. None stays None."""
    out: list[int | None] = []
    previous = 0
    for value in values:
        out.append(None if value is None else value - previous)
        previous = previous if value is None else value
    return out


def page_run(record: dict, keep: Sequence[int], flops: str) -> dict:
    """One run as the page carries it, at the kept epoch indices it reached: accuracy in whole
    hundred-thousandths (a step of 1e-5, far below one image in 8,000), as :func:`deltas`,
    cumulative seconds to 3 digits (0.5%, a hair on a log axis) at :func:`seconds_anchors`, FLOPs per epoch (the browser
    multiplies by the epoch, as the FLOPs axis is linear in epochs) and a note, if any."""
    epochs = record["epochs"]
    n = len(epochs["epoch"])
    seconds = cumulative_sum(epochs["seconds"])
    kept = [i for i in keep if i < n]
    # "acc": the problem's headline metric (accuracy, or another it declares), whatever its name
    acc = [epochs[outcomes.problem_of(record).headline.column][i] for i in kept]
    run: dict[str, Any] = {
        "acc": deltas([None if a is None else round(a * ACC_SCALE) for a in acc]),
        "seconds": [compact(seconds[kept[j]], 3) for j in seconds_anchors(len(kept))],
        "flops_per_epoch": record["flops"][f"per_step_{flops}"] * record["flops"]["steps_per_epoch"],
    }
    note = outcomes.outcome(record).note  # diverged, collapsed, not learning yet
    if note:
        run["note"] = note
    return run


def metric_spec(inv: InvestigationData) -> dict:
    """What the chart's y axis shows: its investigation's headline metric (``val_accuracy``, or
    another its problem declares), as charts.js labels and scales it."""
    metric = outcomes.problem_of(inv.spec.config.problem).headline
    return {"column": metric.column, "label": f"validation {metric.label}", "short": f"val. {metric.short}",
            "fraction": metric.unit == "fraction", "low": metric.low, "high": metric.high,
            "higher_is_better": metric.higher_is_better}


def chart_runs(chart: ChartDef, inv: InvestigationData) -> list[tuple[Variant, list[Run]]]:
    """The chart's variants, in declaration order, with their runs sorted by seed."""
    out = []
    for variant in inv.variants:
        if chart.selection.matches(variant):
            runs = sorted((r for r in inv.runs if r.variant.name == variant.name), key=lambda r: r.record["seed"])
            out.append((variant, runs))
    return out


def chart_views(chart: ChartDef, variants: Sequence[Variant]) -> list[tuple[str, str, list[Variant]]]:
    """(facet parameter, selector label, variants) of each view: one per value of each facet
    parameter, in declaration order; a chart without facets has one view of everything."""
    if not chart.facet:
        return [("", "", list(variants))]
    views = []
    for param in chart.facet:
        shown = {v.name: catalogue.format_value(v.kwargs[param]) for v in variants}
        for value in dict.fromkeys(shown.values()):
            views.append((param, f"{param} = {value}", [v for v in variants if shown[v.name] == value]))
    return views


def data_label(records_: Iterable[dict]) -> str:
    """Which data set (and task) the runs are about, as the page says it: ``MNIST``,
    ``Fashion-MNIST``, or ``MNIST digit pairs``; several joined with "and"."""
    names = []
    for record in records_:
        config = record["config"]
        dataset = catalogue.DATASETS.get(config["dataset"])
        name = dataset.title if dataset else config["dataset"]
        if config.get("problem", "classify") != "classify":
            name += " " + config["problem"].replace("-", " ")
        if name not in names:
            names.append(name)
    return " and ".join(sorted(names))


def flops_method(chart: ChartDef, runs: Iterable[Run]) -> str:
    """The FLOP count a chart's x axis shows: the one the page asks for, except that a chart with a
    run whose profiler count misses layers (``flops.profiler_complete`` false: the profiler counts
    no ``Conv1d`` or ``Conv3d``) shows the complete count for every run, so no curve sits at a
    fraction of its compute and all curves stay comparable."""
    if chart.flops == "profiler" and any(not r.record["flops"]["profiler_complete"] for r in runs):
        return "complete"
    return chart.flops


def chart_spec(chart: ChartDef, inv: InvestigationData, dom_id: str, points: int,
               first_view_only: bool = False) -> dict:
    """Everything the browser needs to draw one chart: settings, views and downsampled curves.

    Each run is embedded once however many views show it; views list (series, colour, label)
    triples. Epochs are one log-spaced ``grid`` for the whole chart plus each series' run lengths
    (``lengths``), from which the browser rebuilds every run's x values."""
    selected = chart_runs(chart, inv)
    views = chart_views(chart, [v for v, _ in selected])
    if first_view_only:  # the home page's small chart shows the default view only
        views = views[:1]
    shown = {v.name for _, _, vs in views for v in vs}
    longest = max((len(r.record["epochs"]["epoch"]) for _, runs in selected for r in runs), default=0)
    grid = log_indices(longest, points)
    method = flops_method(chart, (r for _, runs in selected for r in runs))
    series, index_of = [], {}
    for variant, runs in selected:
        if not runs or variant.name not in shown:
            continue
        lengths = sorted({len(r.record["epochs"]["epoch"]) for r in runs})
        keep = kept_indices(grid, lengths)
        index_of[variant.name] = len(series)
        entry = {
            "variant": variant.name,
            "name_html": plotly_text(variant.name),
            "lengths": lengths,
            "runs": {str(r.record["seed"]): page_run(r.record, keep, method) for r in runs},
        }
        # The reproduce command: once per variant as the halves around its seed flags, which
        # charts.js joins for one seed or the band's all; a run's own where its seeds differ.
        parts = reproduce.command_parts(inv.spec, [r.record for r in runs])
        if parts:
            entry["command"] = list(parts)
        else:
            for r in runs:
                entry["runs"][str(r.record["seed"])]["command"] = reproduce.command(inv.spec, [r.record])
        series.append(entry)
    view_specs = []
    for param, label, variants in views:
        names = labels([v for v in variants if v.name in index_of])  # what varies among the drawn
        entries = [[index_of[v.name], color, plotly_text(names[v.name])]
                   for color, v in enumerate(variants) if v.name in index_of]
        if entries:
            view_specs.append({"facet": param, "label": label, "series": entries})
    return {
        "id": dom_id,
        "title": chart.title,
        "data": data_label(r.record for _, runs in selected for r in runs),
        "x": chart.x,
        "y": chart.y,
        "seed": str(chart.seed),
        "seeds": [str(s) for s in inv.spec.seeds],
        "x_titles": {k: v.format(method=method) for k, v in X_TITLES.items()},
        "nines": nines_ticks(),
        "acc_scale": ACC_SCALE,
        # absent: validation accuracy, charts.js's default (so an accuracy chart carries no more bytes)
        **({"metric": metric_spec(inv)} if outcomes.problem_of(inv.spec.config.problem).headline.name != "accuracy"
           else {}),
        "seconds_stride": SECONDS_STRIDE,
        "grid": [i + 1 for i in grid],  # records number epochs 1, 2, 3, … (validated)
        "series": series,
        "views": view_specs,
    }


def rows_csv(columns: Sequence[str], rows: Iterable[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(row.get(k)) for k in columns})  # no cell a spreadsheet runs
    return buffer.getvalue()


def inline_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``</script>``, ``<!--`` or
    ``&`` can appear in it, nor the line separators JavaScript once refused."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text
