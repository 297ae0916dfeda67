"""The charts' data downloads: every epoch of every run, one JSON and one CSV file per variant.

A file per variant, not per chart: a full-size chart of 72 variants, three seeds each and
3,000 epochs a run would be one 75 MB CSV, where a variant's file is about 1 MB. A variant
shown by several charts (or several facet views) has one pair of files, which each chart links;
a faceted chart lists the files of the view on show (``static/js/charts.js``). The links are
relative, so they work from disk and under any sub-path.
"""

from __future__ import annotations

import json
from typing import Iterable, Sequence

from battleground.core import outcomes, records
from battleground.site.context import InvestigationData, Run
from battleground.site.csv_text import csv_text
from battleground.site.charts import ChartDef, chart_runs, cumulative_sum, labels, significant
from battleground.core.spec import Variant

CSV_COLUMNS = ("variant", "seed", "epoch", "cumulative_flops_profiler", "cumulative_flops_complete",
               "cumulative_seconds", "val_accuracy", "val_loss", "train_loss")  # val_accuracy: the headline's


def csv_columns(runs: Sequence[Run]) -> tuple[str, ...]:
    """:data:`CSV_COLUMNS`, with the runs' headline metric column for ``val_accuracy`` (``val_mae``)."""
    column = _headline(runs).column
    return tuple(column if c == "val_accuracy" else c for c in CSV_COLUMNS)


def _headline(runs: Sequence[Run]):
    # a variant's runs share their investigation's problem; none: accuracy's columns, as ever
    return outcomes.problem_of(runs[0].record if runs else "classify").headline
FOLDER = "variants"  # data/<investigation>/variants/<variant>.json|csv


def file_names(inv: InvestigationData) -> dict[str, str]:
    """Each variant with runs and the stem of its download files, unique within the
    investigation: ``records.file_stem`` of its name, with ``-2``, ``-3``, … where two names
    come to the same stem (declaration order decides, so every build names them alike)."""
    with_runs = {r.variant.name for r in inv.runs}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for variant in inv.variants:
        if variant.name not in with_runs:
            continue
        stem, n = records.file_stem(variant.name), 1
        while (stem if n == 1 else f"{stem}-{n}") in taken:
            n += 1
        out[variant.name] = stem if n == 1 else f"{stem}-{n}"
        taken.add(out[variant.name])
    return out


def href(investigation: str, stem: str, kind: str) -> str:
    return f"data/{investigation}/{FOLDER}/{stem}.{kind}"


def variant_rows(variant: Variant, runs: Sequence[Run]) -> Iterable[tuple]:
    """Every epoch of the variant's runs, one tuple of :data:`CSV_COLUMNS` each: tuples, not
    dicts, as a full-size investigation has some 650,000 of them."""
    for run in runs:
        record, epochs = run.record, run.record["epochs"]
        steps, seed = record["flops"]["steps_per_epoch"], record["seed"]
        profiler, complete = (record["flops"][f"per_step_{m}"] * steps for m in ("profiler", "complete"))
        seconds = [significant(s) for s in cumulative_sum(epochs["seconds"])]
        for epoch, second, acc, val_loss, train_loss in zip(
                epochs["epoch"], seconds, epochs[_headline([run]).column], epochs["val_loss"], epochs["train_loss"]):
            yield (variant.name, seed, epoch, epoch * profiler, epoch * complete, second, acc, val_loss, train_loss)


def variant_json(inv: InvestigationData, variant: Variant, runs: Sequence[Run]) -> str:
    """The variant's full data as JSON: per run, its provenance and every epoch as columns."""
    documents = []
    for run in runs:
        record = run.record
        documents.append({
            "variant": variant.name, "seed": record["seed"], "status": record["status"],
            "model": record["model"], "flops": record["flops"], "config": record["config"],
            "environment": record["environment"],
            f"test_{_headline([run]).name}": record[f"test_{_headline([run]).name}"],
            "val_prediction_counts": record["val_prediction_counts"],
            "collapsed": outcomes.state(record) == "collapsed",
            "record": f"runs/{inv.spec.name}/{run.path.name}",
            "epochs": record["epochs"],
        })
    document = {"investigation": inv.spec.name, "variant": variant.name, "runs": documents}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"


def variant_csv(variant: Variant, runs: Sequence[Run]) -> str:
    """Every epoch of the variant's runs as CSV; a name a spreadsheet would take for a formula is text."""
    return csv_text(csv_columns(runs), variant_rows(variant, runs))


def chart_links(chart: ChartDef, inv: InvestigationData, series_index: dict[str, int]) -> list[dict]:
    """The download links a chart offers: one entry per variant it draws, with its legend
    label and its index in the chart's series (for the browser to show one view's)."""
    names = file_names(inv)
    selected = [(v, runs) for v, runs in chart_runs(chart, inv) if runs and v.name in series_index]
    label = labels([v for v, _ in selected])
    return [{"label": label[v.name], "series": series_index[v.name],
             "json": href(inv.spec.name, names[v.name], "json"), "csv": href(inv.spec.name, names[v.name], "csv")}
            for v, _ in selected]


def files(charts: Iterable[ChartDef], inv: InvestigationData) -> dict[str, str]:
    """The download files of every variant the charts draw, each once, by path in the site."""
    names = file_names(inv)
    out: dict[str, str] = {}
    for chart in charts:
        for variant, runs in chart_runs(chart, inv):
            if runs and href(inv.spec.name, names[variant.name], "json") not in out:
                out[href(inv.spec.name, names[variant.name], "json")] = variant_json(inv, variant, runs)
                out[href(inv.spec.name, names[variant.name], "csv")] = variant_csv(variant, runs)
    return out
