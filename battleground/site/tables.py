"""Results tables: one row per run (or per declared run still missing), values and their display.

Each cell is a ``(text, sort key)`` pair: the text is what the page shows, the sort key is what
``static/js/tables.js`` sorts by when a header is clicked (numbers sort as numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from battleground.site.charts import data_label, rows_csv, run_note
from battleground.site.context import InvestigationData

if TYPE_CHECKING:  # a type only: the element module renders with this one
    from battleground.site.elements.table import TableDef

COLUMNS = (
    # (key, header, numeric)
    ("variant", "variant", False),
    ("seed", "seed", True),
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


def run_row(record: dict) -> dict[str, Any]:
    """The raw values of one run's row."""
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
    seeds = inv.spec.seeds if table.seed == "all" else (table.seed,)
    for variant in inv.variants:
        if not table.selection.matches(variant):
            continue
        runs = {r.record["seed"]: r for r in inv.runs if r.variant.name == variant.name}
        wanted = sorted(set(seeds) | ({s for s in runs} if table.seed == "all" else set()))
        for seed in wanted:
            if seed in runs:
                rows.append(run_row(runs[seed].record))
            elif variant in inv.spec.variants:
                rows.append({key: None for key, _, _ in COLUMNS + RECIPE_COLUMNS} | {
                    "variant": variant.name, "seed": seed, "status": "not run", "note": None})
    return rows


def columns(rows: list[dict[str, Any]]) -> tuple[tuple[str, str, bool], ...]:
    """The table's columns: :data:`COLUMNS`, with each recipe column whose value differs among
    the runs after the variant."""
    varying = tuple(c for c in RECIPE_COLUMNS if len({r[c[0]] for r in rows if r[c[0]] is not None}) > 1)
    return COLUMNS[:1] + varying + COLUMNS[1:]


def table_view(table: TableDef, inv: InvestigationData) -> dict:
    """What the table template needs: headers and rows of display cells."""
    rows = table_rows(table, inv)
    return {
        "id": table.id,
        "title": table.title,
        "columns": [{"key": k, "header": h, "numeric": n} for k, h, n in columns(rows)],
        "rows": [_cells(r) for r in rows],
        "runs": sum(1 for r in rows if r["status"] != "not run"),
        "data": data_label(r.record for r in inv.runs if table.selection.matches(r.variant)),
    }


def table_csv(table: TableDef, inv: InvestigationData) -> str:
    rows = table_rows(table, inv)
    return rows_csv([k for k, _, _ in columns(rows)] + ["note"], rows)
