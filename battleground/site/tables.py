"""Results tables: one row per variant (mean ± standard deviation over its seeds, seeds counted),
each with its runs' rows (one per seed, or per declared seed still missing) to expand, and the
command that reproduces each run.

Each cell is a ``(text, sort key)`` pair: the text is what the page shows, the sort key is what
``static/js/tables.js`` sorts the variants by when a header is clicked (numbers sort as numbers;
a column's ``best`` says which end of it sorts first: the higher accuracy, the lower time).
The CSV download keeps one row per run.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from battleground.site import reproduce
from battleground.site.charts import compact, data_label, rows_csv, run_note, significant
from battleground.site.context import InvestigationData

if TYPE_CHECKING:  # a type only: the element module renders with this one
    from battleground.site.elements.table import TableDef

COLUMNS = (
    # (key, header, numeric)
    ("variant", "variant", False),
    ("seed", "seeds", True),
    ("parameters", "parameters", True),
    ("flops_profiler", "FLOPs / epoch (profiler)", True),
    ("flops_complete", "FLOPs / epoch (complete)", True),
    ("epochs", "epochs", True),
    ("best_val", "best val. acc.", True),
    ("final_val", "final val. acc.", True),
    ("test", "test acc.", True),
    ("train_time", "train time", True),
    ("device", "hardware", False),
    ("status", "status", False),
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


def si(value: float | None, unit: str = "") -> str:
    """``19176000000`` -> ``19.18 G``: three or four significant digits and an SI prefix."""
    if value is None:
        return "–"
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.4g} {prefix}{unit}".rstrip()
    return f"{value:.4g} {unit}".rstrip()


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


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
    accs = [a for a in epochs["val_accuracy"] if a is not None]
    return {
        "variant": record["variant"],
        "seed": record["seed"],
        "parameters": record["model"]["parameters"],
        "flops_profiler": flops["per_step_profiler"] * flops["steps_per_epoch"],
        "flops_complete": flops["per_step_complete"] * flops["steps_per_epoch"],
        "epochs": len(epochs["epoch"]),
        "best_val": max(accs) if accs else None,
        "final_val": epochs["val_accuracy"][-1] if epochs["val_accuracy"] else None,
        "test": record["test_accuracy"],
        "train_time": float(f"{sum(s for s in epochs['seconds'] if s is not None):.6g}"),
        "device": record["environment"]["device"],
        "status": record["status"],
        "note": run_note(record),  # diverged / collapsed: shown in the status column
        "command": command,
        **recipe(record["config"]),
    }


def _cells(row: dict[str, Any]) -> dict[str, Cell]:
    shown = {
        "parameters": "–" if row["parameters"] is None else f"{row['parameters']:,}",
        "flops_profiler": si(row["flops_profiler"], "FLOP"),
        "flops_complete": si(row["flops_complete"], "FLOP"),
        "epochs": "–" if row["epochs"] is None else f"{row['epochs']:,}",
        "best_val": percent(row["best_val"]),
        "final_val": percent(row["final_val"]),
        "test": percent(row["test"]),
        "train_time": duration(row["train_time"]),
    }
    if row.get("note") == "collapsed":
        # a collapsed run trained to the end (or is still training): say both, collapse first
        shown["status"] = "collapsed" if row["status"] == "complete" else f"collapsed, {row['status']}"
    cells = {key: Cell(shown.get(key, "–" if row.get(key) is None else str(row[key])), row.get(key))
             for key, _, _ in COLUMNS + RECIPE_COLUMNS}
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
                rows.append({key: None for key, _, _ in COLUMNS + RECIPE_COLUMNS} | {
                    "variant": variant.name, "seed": seed, "status": "not run", "note": None, "command": None})
    return rows


def columns(rows: list[dict[str, Any]]) -> tuple[tuple[str, str, bool], ...]:
    """The table's columns: :data:`COLUMNS`, with each recipe column whose value differs among
    the runs after the variant."""
    varying = tuple(c for c in RECIPE_COLUMNS if len({r[c[0]] for r in rows if r[c[0]] is not None}) > 1)
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
        show = duration if key == "train_time" else percent
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


def table_view(table: TableDef, inv: InvestigationData) -> dict:
    """What the table template needs: headers, and per variant its summary cells, its runs' cells
    and the command that reproduces them. Where a variant's seeds trained alike, the command comes
    as the two halves around its seed flags (:func:`reproduce.command_parts`), which
    ``static/js/tables.js`` joins for each row (the variant's: every seed that ran; a seed's: that
    one), so a table of 216 runs carries 72 commands; elsewhere each run carries its own."""
    rows = table_rows(table, inv)
    ran = {(r.record["variant"], r.record["seed"]): r.record for r in inv.runs}
    groups = []
    for summary, runs in variant_groups(rows):
        cells = _summary_cells(summary)
        records = [ran[(r["variant"], r["seed"])] for r in runs if r["status"] != "not run"]
        parts = reproduce.command_parts(inv.spec, records)
        groups.append({
            "summary": cells,
            "command": parts,  # (head, tail), or None: each run's row has its own command
            "runs": [{"cells": _seed_cells(r, cells), "seed": r["seed"], "ran": r["status"] != "not run",
                      "command": None if parts else r["command"]} for r in runs],
        })
    return {
        "id": table.id,
        "title": table.title,
        "columns": [{"key": k, "header": h, "numeric": n, "best": BEST.get(k)} for k, h, n in columns(rows)],
        "groups": groups,
        "declared_seeds": " ".join(map(str, inv.spec.seeds)),
        "fold": FOLD if len(groups) > FOLD else None,
        "runs": sum(1 for r in rows if r["status"] != "not run"),
        "data": data_label(r.record for r in inv.runs if table.selection.matches(r.variant)),
    }


def table_csv(table: TableDef, inv: InvestigationData) -> str:
    """One row per run (and per declared run not yet run), with the command that reproduces it."""
    rows = table_rows(table, inv)
    return rows_csv([k for k, _, _ in columns(rows)] + ["note", "command"], rows)
