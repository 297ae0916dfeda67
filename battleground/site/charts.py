"""Chart data: learning curves of the runs a chart selects, for the page and for download.

Pure functions of the context. The page gets each curve downsampled to a few hundred log-spaced
points (a run can have 3,000+ epochs); the download files get every epoch of every run. The
browser (``static/js/charts.js``) turns this data into Plotly traces, so switching axes, scale
and seed needs no second copy of the data.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from typing import Any, Iterable, Sequence

import numpy as np

from battleground.site.content import ChartDef, InvestigationData, Run
from battleground.spec import Variant

PAGE_POINTS = 300  # per trace on an investigation page
HEADLINE_POINTS = 120  # per trace in the small charts of the home page
NINES_FLOOR = 1e-6  # 1 - accuracy is clamped here, so a perfect score plots at ~20 nines, not infinity
NINES_TICKS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999, 0.99999)
X_TITLES = {
    "flops": "training FLOPs ({method} count, cumulative)",
    "epochs": "epochs",
    "seconds": "training time, seconds (cumulative)",
}
CSV_COLUMNS = ("variant", "seed", "epoch", "cumulative_flops_profiler", "cumulative_flops_complete",
               "cumulative_seconds", "val_accuracy", "val_loss", "train_loss")


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


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def _cumsum(values: Iterable[float | None]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value or 0.0
        out.append(total)
    return out


def run_columns(run: Run, flops: str) -> dict[str, list]:
    """One run's curve: epoch, cumulative training FLOPs (``profiler`` or ``complete`` count),
    cumulative seconds and validation accuracy."""
    record = run.record
    per_epoch = record["flops"][f"per_step_{flops}"] * record["flops"]["steps_per_epoch"]
    epochs = record["epochs"]
    return {
        "epoch": list(epochs["epoch"]),
        "flops": [e * per_epoch for e in epochs["epoch"]],
        "seconds": [_round(s) for s in _cumsum(epochs["seconds"])],
        "acc": list(epochs["val_accuracy"]),
    }


def seed_band(curves: list[dict[str, list]]) -> dict[str, list]:
    """Min, median and max accuracy across seeds at each epoch all of them reached."""
    n = min(len(c["epoch"]) for c in curves)
    band: dict[str, list] = {"epoch": curves[0]["epoch"][:n], "flops": curves[0]["flops"][:n],
                             "seconds": [], "lo": [], "mid": [], "hi": []}
    for i in range(n):
        seconds = [c["seconds"][i] for c in curves]
        band["seconds"].append(_round(sum(seconds) / len(seconds)))
        accs = [c["acc"][i] for c in curves if c["acc"][i] is not None]
        band["lo"].append(min(accs) if accs else None)
        band["hi"].append(max(accs) if accs else None)
        band["mid"].append(_round(float(np.median(accs))) if accs else None)
    return band


def labels(variants: Sequence[Variant]) -> dict[str, str]:
    """Short legend labels: of one family, only the parameters that differ among the chart's
    variants (``ReLU``, or ``activation=ReLU, depth=1``); otherwise the full names."""
    full = {v.name: v.name for v in variants}
    if len(variants) <= 1 or len({v.family for v in variants}) > 1:
        return full
    keys = sorted({k for v in variants for k, _ in v.params})
    varying = [k for k in keys if len({str(v.kwargs.get(k)) for v in variants}) > 1]
    out = {}
    for v in variants:
        parts = [str(v.kwargs.get(k)) if len(varying) == 1 else f"{k}={v.kwargs.get(k)}" for k in varying]
        out[v.name] = ", ".join(parts) or v.name
    return out if len(set(out.values())) == len(out) else full


def chart_runs(chart: ChartDef, inv: InvestigationData) -> list[tuple[Variant, list[Run]]]:
    """The chart's variants, in declaration order, with their runs sorted by seed."""
    out = []
    for variant in inv.variants:
        if chart.selection.matches(variant):
            runs = sorted((r for r in inv.runs if r.variant.name == variant.name), key=lambda r: r.record["seed"])
            out.append((variant, runs))
    return out


def chart_spec(chart: ChartDef, inv: InvestigationData, dom_id: str, points: int, data_href: str) -> dict:
    """Everything the browser needs to draw one chart: settings, labels and downsampled curves."""
    selected = chart_runs(chart, inv)
    names = labels([v for v, _ in selected])
    series = []
    for index, (variant, runs) in enumerate(selected):
        if not runs:
            continue
        curves = {str(r.record["seed"]): run_columns(r, chart.flops) for r in runs}
        entry: dict[str, Any] = {
            "variant": variant.name,
            "name_html": plotly_text(variant.name),
            "label_html": plotly_text(names[variant.name]),
            "color": index,
            "runs": {seed: downsample(c, points) for seed, c in curves.items()},
        }
        if len(curves) > 1:
            entry["band"] = downsample(seed_band(list(curves.values())), points)
        series.append(entry)
    seeds = [str(s) for s in inv.spec.seeds]
    return {
        "id": dom_id,
        "title": chart.title,
        "x": chart.x,
        "y": chart.y,
        "seed": str(chart.seed),
        "seeds": seeds,
        "x_titles": {k: v.format(method=chart.flops) for k, v in X_TITLES.items()},
        "nines": nines_ticks(),
        "series": series,
        "data_href": data_href,
    }


def download_rows(chart: ChartDef, inv: InvestigationData) -> list[dict]:
    """Every epoch of every run of the chart, one row each, for the CSV and JSON downloads."""
    rows = []
    for variant, runs in chart_runs(chart, inv):
        for run in runs:
            record, epochs = run.record, run.record["epochs"]
            per_epoch = {m: record["flops"][f"per_step_{m}"] * record["flops"]["steps_per_epoch"]
                         for m in ("profiler", "complete")}
            for i, (epoch, seconds) in enumerate(zip(epochs["epoch"], _cumsum(epochs["seconds"]))):
                rows.append({
                    "variant": variant.name, "seed": record["seed"], "epoch": epoch,
                    "cumulative_flops_profiler": epoch * per_epoch["profiler"],
                    "cumulative_flops_complete": epoch * per_epoch["complete"],
                    "cumulative_seconds": _round(seconds),
                    "val_accuracy": epochs["val_accuracy"][i], "val_loss": epochs["val_loss"][i],
                    "train_loss": epochs["train_loss"][i],
                })
    return rows


def download_json(chart: ChartDef, inv: InvestigationData) -> str:
    """The chart's full data as JSON: what it shows and, per run, every epoch as columns."""
    runs = []
    for variant, selected in chart_runs(chart, inv):
        for run in selected:
            record = run.record
            runs.append({
                "variant": variant.name, "seed": record["seed"], "status": record["status"],
                "model": record["model"], "flops": record["flops"], "config": record["config"],
                "environment": record["environment"], "test_accuracy": record["test_accuracy"],
                "record": f"runs/{inv.spec.name}/{run.path.name}",
                "epochs": record["epochs"],
            })
    document = {"investigation": inv.spec.name, "chart": chart.id, "title": chart.title,
                "flops_shown": chart.flops, "runs": runs}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def download_csv(chart: ChartDef, inv: InvestigationData) -> str:
    return rows_csv(CSV_COLUMNS, download_rows(chart, inv))


def rows_csv(columns: Sequence[str], rows: Iterable[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
    return buffer.getvalue()


def inline_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``</script>``, ``<!--`` or
    ``&`` can appear in it, nor the line separators JavaScript once refused."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text
