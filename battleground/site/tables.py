"""Results tables: one row per variant (mean ± standard deviation over its seeds, seeds counted),
each with its runs' rows (one per seed, or per declared seed still missing) to expand, and below
them what is the same for every seed (the profiler's FLOP count, the hardware) and the commands
that reproduce the runs. A variant reads in words, by what sets it apart from the table's others
(:mod:`battleground.site.labels`), and the columns a reader compares by fit the text column at
1280 px: the rest waits behind the expander, and in the CSV.

Each cell is a ``(text, sort key)`` pair: the text is what the page shows, the sort key is what
``static/js/tables.js`` sorts the variants by when a header is clicked (numbers sort as numbers;
a column's ``best`` says which end of it sorts first: the higher accuracy, the lower time).
The CSV download keeps one row per run.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Any

from battleground.core import outcomes
from battleground.core.catalogue import Metric
from battleground.site import frontmatter, labels, reproduce
from battleground.site.charts import compact, data_label, rows_csv, significant
from battleground.site.context import InvestigationData, Selection

# A ``tables`` entry of a page's front matter; comparisons share its selection fields.
FIELDS = {
    "id": frontmatter.ID_FIELD,
    "title": (str, "a string", False),
    **frontmatter.SELECTION_FIELDS,
    "seed": frontmatter.SEED_FIELD,
}


@dataclass(frozen=True)
class TableDef:
    """A table of a page's front matter, as ``{{ table: <id> }}`` (:mod:`.elements.table`) reads it."""

    id: str
    title: str
    selection: Selection
    seed: int | str = "all"

COLUMNS = (
    # (key, header, numeric)
    ("variant", "variant", False),
    ("seed", "seeds", True),
    ("parameters", "parameters", True),
    ("flops_complete", "FLOPs / epoch", True),
    ("epochs", "epochs", True),
    *((key, outcomes.HEADLINE[key].short, True) for key in ("best_val", "final_val", "test")),
    ("train_time", "train time", True),
    ("status", "status", False),
)
# The same for every seed of a variant, or rarely compared: shown under its seeds' rows, and
# in the CSV as columns.
DETAIL_COLUMNS = (
    ("flops_profiler", "FLOPs / epoch, the profiler's count", True),
    ("device", "hardware", False),
)
# How each run was trained, shown (after the variant) only where it varies among a table's runs:
# most investigations train every run with the one recipe of the methodology page.
RECIPE_COLUMNS = (
    ("optimizer", "optimizer", False),
    ("schedule", "schedule", False),
    ("init", "initialisation", False),
)
# Which end of a column sorts first on the first click: the better one. Other columns sort
# ascending first.
BEST = {"best_val": "high", "final_val": "high", "test": "high", "train_time": "low",
        "parameters": "low", "flops_profiler": "low", "flops_complete": "low"}
# Averaged over a variant's seeds, shown as mean ± sample standard deviation.
AVERAGED = ("best_val", "final_val", "test", "train_time")
# A table of more variants than this shows this many, and a button for the rest.
FOLD = 10


@dataclass(frozen=True)
class Cell:
    text: str
    sort: Any  # a number, a string, or None (sorts last)


si = labels.quantity  # ``19176000000, "FLOP"`` -> ``19.18 GFLOP``: one way to write a quantity


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def metric_text(value: float | None, metric: Metric | None) -> str:
    """A value of ``metric`` (default: accuracy) as a cell shows it: a fraction as a percentage,
    any other number to four significant digits, with its unit."""
    if metric is None or metric.unit == "fraction" or value is None:
        return percent(value)
    return f"{value:.4g}" + (f" {metric.unit}" if metric.unit else "")


def duration(seconds: float | None) -> str:
    """``0.42 s``, ``12.3 s``, ``4 m 05 s``, ``3 h 59 m``."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} m {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} m"


def code_version(version: str) -> str:
    """A git commit as its first 12 digits (``-dirty`` kept): enough to find it, short enough to
    read. Anything else (a source hash outside git) as it is."""
    match = re.fullmatch(r"([0-9a-f]{40})(-dirty)?", version)
    return match.group(1)[:12] + (match.group(2) or "") if match else version


def recipe(config: dict) -> dict[str, str]:
    """A run's optimizer, schedule and initialisation as a table shows them, from its ``config``
    (a record written before these settings existed trained with plain SGD at a constant rate
    from PyTorch's initialisation)."""
    optimizer = config.get("optimizer", "SGD")
    if config.get("momentum"):
        optimizer += f", momentum {config['momentum']:g}"
    if config.get("weight_decay") is not None:
        optimizer += f", weight decay {config['weight_decay']:g}"
    schedule = config.get("schedule", "none")
    if schedule == "StepLR":
        gamma = 0.1 if config.get("gamma") is None else config["gamma"]
        schedule = f"StepLR, x{gamma:g} every {config.get('step_size')} epochs"
    init = config.get("init", "default")
    if config.get("zero_bias"):
        init += ", zero biases"
    return {"optimizer": optimizer, "schedule": schedule, "init": init}


def run_row(record: dict, command: str | None = None) -> dict[str, Any]:
    """The raw values of one run's row; ``command`` reproduces it (:mod:`reproduce`)."""
    flops, epochs = record["flops"], record["epochs"]
    outcome = outcomes.outcome(record)
    return {
        "variant": record["variant"],
        "seed": record["seed"],
        "parameters": record["model"]["parameters"],
        "flops_profiler": flops["per_step_profiler"] * flops["steps_per_epoch"],
        "flops_complete": flops["per_step_complete"] * flops["steps_per_epoch"],
        "epochs": len(epochs["epoch"]),
        **{key: outcome.values[key] for key in ("best_val", "final_val", "test")},
        "train_time": float(f"{sum(s for s in epochs['seconds'] if s is not None):.6g}"),
        "device": record["environment"]["device"],
        "status": record["status"],
        "note": outcome.note,  # diverged, collapsed, not learning yet: shown in the status column
        "metric": outcomes.problem_of(record).headline,  # what best_val, final_val and test are of
        "command": command,
        **recipe(record["config"]),
    }


def _cells(row: dict[str, Any]) -> dict[str, Cell]:
    shown = {
        "parameters": "–" if row["parameters"] is None else f"{row['parameters']:,}",
        "flops_profiler": si(row.get("flops_profiler"), "FLOP"),
        "flops_complete": si(row["flops_complete"]),  # the header says FLOPs: "19.18 G" is narrower
        # a variant's row joins its seeds' devices with "; "
        "device": "–" if row.get("device") is None else "; ".join(map(labels.device, row["device"].split("; "))),
        "epochs": "–" if row["epochs"] is None else f"{row['epochs']:,}",
        "best_val": metric_text(row["best_val"], row.get("metric")),
        "final_val": metric_text(row["final_val"], row.get("metric")),
        "test": metric_text(row["test"], row.get("metric")),
        "train_time": duration(row["train_time"]),
    }
    if row.get("note") in ("collapsed", "not learning yet"):
        # such a run trained to the end (or is still training): say both, the note first
        shown["status"] = row["note"] if row["status"] == "complete" else f"{row['note']}, {row['status']}"
    cells = {key: Cell(shown.get(key, "–" if row.get(key) is None else str(row[key])), row.get(key))
             for key, _, _ in COLUMNS + RECIPE_COLUMNS + DETAIL_COLUMNS}
    cells["status"] = Cell(cells["status"].text, cells["status"].text)
    return cells


def table_rows(table: TableDef, inv: InvestigationData) -> list[dict[str, Any]]:
    """Raw rows: every run the table selects, and a 'not run' row for each declared
    (variant, seed) without a record; variants in declaration order, then seeds."""
    rows = []
    for variant in inv.variants:
        if not table.selection.matches(variant):
            continue
        seeds = inv.spec.seeds_of(variant) if table.seed == "all" else (table.seed,)
        runs = {r.record["seed"]: r for r in inv.runs if r.variant.name == variant.name}
        wanted = sorted(set(seeds) | ({s for s in runs} if table.seed == "all" else set()))
        for seed in wanted:
            if seed in runs:
                record = runs[seed].record
                rows.append(run_row(record, reproduce.command(inv.spec, [record])))
            elif variant in inv.spec.variants:
                rows.append({key: None for key, _, _ in COLUMNS + RECIPE_COLUMNS + DETAIL_COLUMNS} | {
                    "variant": variant.name, "seed": seed, "status": "not run", "note": None, "command": None})
    return rows


def columns(rows: list[dict[str, Any]], labelled: frozenset[str] = frozenset()) -> tuple[tuple[str, str, bool], ...]:
    """The table's columns: :data:`COLUMNS`, with each recipe column whose value differs among
    the runs after the variant, except those in ``labelled`` (a recipe the variants set, which
    their labels already say wherever it differs)."""
    varying = tuple(c for c in RECIPE_COLUMNS if c[0] not in labelled
                    and len({r[c[0]] for r in rows if r[c[0]] is not None}) > 1)
    return COLUMNS[:1] + varying + COLUMNS[1:]


def mean_std(values: list[float]) -> tuple[float | None, float | None]:
    """The mean and the sample standard deviation (None for fewer than two values)."""
    if not values:
        return None, None
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else None


def _status_counts(rows: list[dict[str, Any]]) -> str:
    """``complete``; ``2 complete, 1 collapsed``; ``1 running, 2 not run``: each status as its
    cell shows it, counted, in order of first appearance."""
    counts: dict[str, int] = {}
    for row in rows:
        text = _cells(row)["status"].text
        counts[text] = counts.get(text, 0) + 1
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{n} {text}" for text, n in counts.items())


def variant_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One variant's summary of its runs' ``rows`` (missing seeds included): how many seeds ran,
    the mean and standard deviation of each averaged metric over the runs that have it, the model's
    size and cost, the epochs (``epochs_range`` when seeds differ), the hardware and the statuses."""
    ran = [r for r in rows if r["status"] != "not run"]
    first = next(iter(ran), rows[0])
    out: dict[str, Any] = {
        "variant": rows[0]["variant"],
        "seeds_run": len(ran),
        "seeds_declared": len(rows),
        "status": _status_counts(rows),
        "metric": first.get("metric"),
        **{key: first.get(key) for key in ("parameters", "flops_profiler", "flops_complete", *[c[0] for c in RECIPE_COLUMNS])},
    }
    for key in AVERAGED:
        values = [r[key] for r in ran if r[key] is not None]
        out[key], out[f"{key}_std"] = mean_std(values)
        out[f"{key}_n"] = len(values)
    epochs = [r["epochs"] for r in ran if r["epochs"] is not None]
    out["epochs"] = statistics.fmean(epochs) if epochs else None
    out["epochs_range"] = (min(epochs), max(epochs)) if epochs else None
    out["device"] = "; ".join(dict.fromkeys(r["device"] for r in ran if r["device"])) or None
    return out


def variant_groups(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The runs' rows grouped by variant, in the order the variants come: (summary, rows)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["variant"], []).append(row)
    return [(variant_row(group), group) for group in groups.values()]


def _spread(mean: float | None, std: float | None, n: int, show) -> str:
    """``97.12% ± 0.05%`` over several runs; one run's value alone; "–" for none."""
    if mean is None:
        return "–"
    return show(mean) if std is None or n < 2 else f"{show(mean)} ± {show(std)}"


def _summary_cells(summary: dict[str, Any]) -> dict[str, Cell]:
    """A variant row's cells: the averaged metrics as mean ± std, sorted by their mean."""
    cells = _cells({**summary, "seed": None, "note": None, "epochs": None})
    for key in AVERAGED:
        show = duration if key == "train_time" else lambda v: metric_text(v, summary.get("metric"))
        cells[key] = Cell(_spread(summary[key], summary[f"{key}_std"], summary[f"{key}_n"], show),
                          significant(summary[key]))
    low, high = summary["epochs_range"] or (None, None)
    cells["epochs"] = Cell("–" if low is None else f"{low:,}" if low == high else f"{low:,}–{high:,}",
                           compact(summary["epochs"], 6))
    run, declared = summary["seeds_run"], summary["seeds_declared"]
    cells["seed"] = Cell(f"{run}" if run == declared else f"{run} of {declared}", run)
    cells["status"] = Cell(summary["status"], summary["status"])
    return cells


def _seed_cells(run: dict[str, Any], summary: dict[str, Cell]) -> dict[str, Cell]:
    """A seed's row under its variant's: a cell that says what the variant's row already says (its
    size, cost, epochs, hardware or status, the same for every seed) is left empty, so the eye
    finds what differs; a full-size depth table has 216 of these rows within the page's budget."""
    cells = _cells(run)
    for key, cell in cells.items():
        if key not in AVERAGED and key != "variant" and cell.text == summary[key].text:
            cells[key] = Cell("", None)
    return cells


def row_anchor(table_id: str, variant: str) -> str:
    """The id of a variant's rows in a table, which a page's generated numbers link to:
    ``results-simplenet2-activation-relu-depth-0``."""
    return f"{table_id}-" + "-".join(re.findall(r"[a-z0-9]+", variant.lower()))


def _details(cells: dict[str, Cell]) -> list[tuple[str, str]]:
    """What a variant's seeds share that its row does not show, said once under its seeds' rows:
    the profiler's FLOP count where it differs from the complete count (it misses some layers),
    and the hardware."""
    out = []
    if cells["flops_profiler"].sort is not None and cells["flops_profiler"].sort != cells["flops_complete"].sort:
        out.append(("FLOPs / epoch, the profiler's count", cells["flops_profiler"].text))
    if cells["device"].text != "–":
        out.append(("hardware", cells["device"].text))
    return out


def _shared_hardware(groups: list[dict]) -> str | None:
    """The hardware, where every variant's runs trained on the same: said once under the table
    and taken out of each variant's details (a table of 72 variants has a page-size budget)."""
    found = {text for g in groups for header, text in g["details"] if header == "hardware"}
    if len(found) != 1 or any(all(h != "hardware" for h, _ in g["details"]) for g in groups):
        return None
    for g in groups:
        g["details"] = [d for d in g["details"] if d[0] != "hardware"]
    return found.pop()


def table_view(table: TableDef, inv: InvestigationData) -> dict:
    """What the table template needs: headers, and per variant its summary cells, its runs' cells
    and the command that reproduces them. Where a variant's seeds trained alike, the command comes
    as the two halves around its seed flags (:func:`reproduce.command_parts`), which
    ``static/js/tables.js`` joins for each row (the variant's: every seed that ran; a seed's: that
    one), so a table of 216 runs carries 72 commands; elsewhere each run carries its own."""
    rows = table_rows(table, inv)
    ran = {(r.record["variant"], r.record["seed"]): r.record for r in inv.runs}
    selected = [v for v in inv.variants if table.selection.matches(v)]
    label = labels.labels(selected, config=inv.spec.config)
    # a recipe the variants set is in their labels wherever it differs: a column would say it twice
    labelled = frozenset(labels.GROUPED.get(key, key) for v in selected for key in v.training)
    # the investigation's headline metric: accuracy's headers and direction, or its problem's own
    headline = {k: v for k, v in outcomes.summaries(inv.spec.config.problem, losses=False).items()
                if k in ("best_val", "final_val", "test")}
    groups = []
    for summary, runs in variant_groups(rows):
        cells = _summary_cells(summary)
        name = summary["variant"]
        # in words; within one aspect no line breaks ("1 × 1,000" stays whole)
        words = labels.unbroken(label.get(name, name))
        cells["variant"] = Cell(words, words)
        records = [ran[(r["variant"], r["seed"])] for r in runs if r["status"] != "not run"]
        parts = reproduce.command_parts(inv.spec, records)
        groups.append({
            "anchor": row_anchor(table.id, summary["variant"]),
            "variant": name,
            "details": _details(cells),
            "summary": cells,
            "command": parts,  # (head, tail), or None: each run's row has its own command
            "runs": [{"cells": _seed_cells(r, cells), "seed": r["seed"], "ran": r["status"] != "not run",
                      "command": None if parts else r["command"]} for r in runs],
        })
    return {
        "id": table.id,
        "title": table.title,
        "columns": [{"key": k, "header": headline[k].short if k in headline else h, "numeric": n,
                     "best": ("high" if headline[k].higher_is_better else "low") if k in headline else BEST.get(k)}
                    for k, h, n in columns(rows, labelled)],
        "groups": groups,
        "hardware": _shared_hardware(groups),
        "declared_seeds": " ".join(map(str, inv.spec.seeds)),
        "fold": FOLD if len(groups) > FOLD else None,
        "runs": sum(1 for r in rows if r["status"] != "not run"),
        "data": data_label(r.record for r in inv.runs if table.selection.matches(r.variant)),
    }


def table_csv(table: TableDef, inv: InvestigationData) -> str:
    """One row per run (and per declared run not yet run), with the command that reproduces it."""
    rows = table_rows(table, inv)
    return rows_csv([k for k, _, _ in columns(rows) + DETAIL_COLUMNS] + ["note", "command"], rows)
