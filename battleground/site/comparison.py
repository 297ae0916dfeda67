"""The comparison element, ``{{ compare: <id> }}``: is each variant better than a baseline, or are
the seeds just different?

A page declares comparisons in its front matter::

    comparisons:
      - id: layouts
        title: Every layout against one layer of 1,000 nodes
        baseline: "MLP[activation=ReLU,lr=0.001,optimizer=Adam,widths=1000]"
        family: MLP            # the variants compared with it: a selection as for charts
        where: {optimizer: Adam}

For each variant and each of final validation accuracy, best validation accuracy and held-out test
accuracy, a row gives both means, the difference with its 95% Welch interval, every seed's value,
Welch's test across seeds and, on the test images, McNemar's exact test for each seed (the two
models of one seed judged on the same 2,000 images). Every p-value of every comparison on the page
is adjusted together (Holm), and the verdict reads the adjusted Welch test
(:mod:`battleground.site.significance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from battleground.core import catalogue, records, splits
from battleground.site import frontmatter, significance
from battleground.site.charts import labels
from battleground.site.context import InvestigationData, Run, Selection, SiteError
from battleground.site.elements.table import TABLE_FIELDS

METRICS = {  # key -> (label, whether higher is better); the values are read by metric()
    "final_val": ("final val. acc.", True),
    "best_val": ("best val. acc.", True),
    "test": ("test acc.", True),
    "val_loss": ("final val. loss", False),
    "train_loss": ("final train loss", False),
}
DEFAULT_METRICS = ("final_val", "best_val", "test")
FIELDS = {  # front-matter field -> (type, what is expected, required); a selection as for tables
    **TABLE_FIELDS,
    "baseline": (str, "the name of the variant the others are compared with", True),
    "metrics": (list, "a list of metrics among " + ", ".join(METRICS), False),
}
del FIELDS["seed"]  # every seed is compared


@dataclass(frozen=True)
class CompareDef:
    id: str
    title: str
    baseline: str
    selection: Selection
    metrics: tuple[str, ...] = DEFAULT_METRICS


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> CompareDef:
    """A checked comparison of a page's front matter."""
    selection = frontmatter.selection(item, inv, path, prefix)
    known = {v.name for v in inv.variants}
    if item["baseline"] not in known:
        raise SiteError(path, prefix + "baseline", f"a variant of investigation '{inv.spec.name}', e.g. "
                        f"{inv.variants[0].name}", item["baseline"])
    metrics = item.get("metrics") or list(DEFAULT_METRICS)
    for i, name in enumerate(metrics):
        if name not in METRICS:
            raise SiteError(path, f"{prefix}metrics[{i}]", "one of " + ", ".join(METRICS), name)
    return CompareDef(item["id"], item.get("title") or "", item["baseline"], selection, tuple(metrics))


def metric(record: dict, key: str) -> float | None:
    """One run's value of a compared metric; None where the run has none (diverged, unfinished)."""
    epochs = record["epochs"]
    if key == "best_val":
        accuracy = [a for a in epochs["val_accuracy"] if a is not None]
        return max(accuracy) if accuracy else None
    if key == "test":
        return record["test_accuracy"]
    column = {"final_val": "val_accuracy", "val_loss": "val_loss", "train_loss": "train_loss"}[key]
    return epochs[column][-1] if epochs[column] else None


def _test_labels(run: Run) -> list[int] | None:
    """The labels of the run's test images, from the split file beside the runs; None without one,
    and None where the run's targets are not the images' classes (digit pairs: the file holds each
    image's digit, not whether a pair's first digit is greater)."""
    if catalogue.PROBLEMS[run.record["config"].get("problem", "classify")].pairs:
        return None
    path = splits.for_config(run.path.parent.parent, run.record["config"])
    return splits.read(path)["test_labels"] if path.is_file() else None


def _mcnemar(base: Run, other: Run) -> tuple[int, int, float] | None:
    """McNemar's test of two runs' test predictions; None where either kept none."""
    if base.record.get("predictions") is None or other.record.get("predictions") is None:
        return None
    labels = _test_labels(base)
    if labels is None:
        return None
    first = records.decode_classes(base.record["predictions"]["test"]).tolist()
    second = records.decode_classes(other.record["predictions"]["test"]).tolist()
    return significance.mcnemar(labels, first, second)


def _values(runs: list[Run], key: str) -> dict[int, float]:
    return {r.record["seed"]: v for r in runs if (v := metric(r.record, key)) is not None}


def raw_rows(compare: CompareDef, inv: InvestigationData) -> list[dict[str, Any]]:
    """Unadjusted rows: one per compared variant and metric."""
    runs_of: dict[str, list[Run]] = {}
    for run in inv.runs:
        runs_of.setdefault(run.variant.name, []).append(run)
    base_runs = sorted(runs_of.get(compare.baseline, []), key=lambda r: r.record["seed"])
    compared = [v for v in inv.variants if v.name != compare.baseline and compare.selection.matches(v)]
    # each variant by what sets it apart from the baseline and the others (the legends' rule)
    label = labels([next(v for v in inv.variants if v.name == compare.baseline), *compared], named=True)
    rows = []
    for variant in compared:
        runs = sorted(runs_of.get(variant.name, []), key=lambda r: r.record["seed"])
        for key in compare.metrics:
            base, other = _values(base_runs, key), _values(runs, key)
            row: dict[str, Any] = {"variant": variant.name, "label": label[variant.name],
                                   "metric": METRICS[key][0], "key": key,
                                   "base": base, "other": other, "difference": None, "mcnemar": []}
            if base and other:
                row["difference"] = significance.welch(list(base.values()), list(other.values()))
            if key == "test":
                by_seed = {r.record["seed"]: r for r in runs}
                for seed_run in base_runs:
                    partner = by_seed.get(seed_run.record["seed"])
                    test = _mcnemar(seed_run, partner) if partner else None
                    if test is not None:
                        row["mcnemar"].append({"seed": seed_run.record["seed"], "only_base": test[0],
                                               "only_other": test[1], "p": test[2]})
            rows.append(row)
    return rows


def page_rows(comparisons: list[CompareDef], inv: InvestigationData) -> dict[str, list[dict[str, Any]]]:
    """Every comparison of a page, by id, with every p-value adjusted together (Holm) and a verdict."""
    by_id = {c.id: raw_rows(c, inv) for c in comparisons}
    slots: list[tuple[dict, str | int]] = []  # (row or McNemar entry, where its adjusted p goes)
    p_values: list[float | None] = []
    for rows in by_id.values():
        for row in rows:
            slots.append((row, "welch"))
            p_values.append(row["difference"].p if row["difference"] else None)
            for entry in row["mcnemar"]:
                slots.append((entry, "p"))
                p_values.append(entry["p"])
    for (holder, key), adjusted in zip(slots, significance.holm(p_values)):
        holder["adjusted" if key == "p" else "welch_adjusted"] = adjusted
    for rows in by_id.values():
        for row in rows:
            difference = row["difference"]
            higher_better = METRICS[row["key"]][1]
            row["verdict"] = ("no runs to compare" if difference is None else significance.verdict(
                difference.mean if higher_better else -difference.mean, row["welch_adjusted"]))
    return by_id


def _accuracy(key: str) -> bool:
    return METRICS[key][1]  # the accuracies are the metrics where higher is better


def _diff(value: float, key: str) -> str:
    """A difference, signed: of accuracies in percentage points, of losses as it is."""
    return f"{value * 100:+.2f}" if _accuracy(key) else f"{value:+.4f}"


def _value(value: float | None, key: str) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.2f}%" if _accuracy(key) else f"{value:.4f}"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _mean(values: dict[int, float]) -> float | None:
    return sum(values.values()) / len(values) if values else None


def view(compare: CompareDef, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the template needs: each row's display cells and sort keys."""
    out = []
    for row in rows:
        d, key = row["difference"], row["key"]
        interval = "–" if d is None or d.low is None else f"{_diff(d.low, key)} to {_diff(d.high, key)}"
        seeds = " / ".join(_value(v, key) for v in row["other"].values())
        base_seeds = " / ".join(_value(v, key) for v in row["base"].values())
        mcnemar = "; ".join(f"seed {e['seed']}: {e['only_base']} vs {e['only_other']}, p {_p(e['adjusted'])}"
                            for e in row["mcnemar"]) or "–"
        base_mean, other_mean = _mean(row["base"]), _mean(row["other"])
        out.append({
            "variant": (row["label"], row["variant"]),
            "metric": (row["metric"], row["metric"]),
            "base": (_value(base_mean, key), base_mean),
            "other": (_value(other_mean, key), other_mean),
            "difference": ("–" if d is None else _diff(d.mean, key), None if d is None else d.mean),
            "interval": (interval, None if d is None or d.low is None else d.low),
            "seeds": (f"{seeds} (baseline {base_seeds})" if seeds else "–", None),
            "welch": (_p(row.get("welch_adjusted")), row.get("welch_adjusted")),
            "mcnemar": (mcnemar, None),
            "verdict": (row["verdict"], row["verdict"]),
        })
    return {"id": compare.id, "title": compare.title, "baseline": compare.baseline, "rows": out,
            "columns": COLUMNS}


COLUMNS = (  # key, header, numeric
    ("variant", "variant", False),
    ("metric", "metric", False),
    ("base", "baseline mean", True),
    ("other", "variant mean", True),
    ("difference", "difference", True),
    ("interval", "95% interval", True),
    ("seeds", "each seed (%)", False),
    ("welch", "Welch p (Holm)", True),
    ("mcnemar", "McNemar per seed: only baseline right vs only variant right, p (Holm)", False),
    ("verdict", "verdict", False),
)
