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
accuracy, the comparison computes both means, the difference with its 95% Welch interval, every
seed's value, Welch's test across seeds and, on the test images, McNemar's exact test for each seed
(the two models of one seed judged on the same 2,000 images). Every p-value of every comparison on the page
is adjusted together (Holm), and the verdict reads the adjusted Welch test
(:mod:`battleground.site.significance`). A variant that is one function with the baseline
(:mod:`battleground.site.equivalence`) gets no test, and a note above the table says why.

The page shows one row per variant, so the table fits the text column: the verdict on the first
metric, what the variant changes from the baseline in words (:mod:`battleground.site.labels`), and
each metric's mean and difference as a column. Every seed's value, the intervals and the p-values
follow the table behind an expander.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from battleground.core import catalogue, outcomes, records, splits
from battleground.site import equivalence, frontmatter, significance, tables
from battleground.site.labels import against, full, unbroken
from battleground.site.context import InvestigationData, Run, Selection, SiteError

# key -> (label, whether higher is better): the headline accuracy's summaries and the final losses
METRICS = {key: (s.short, s.higher_is_better) for key, s in outcomes.summaries().items()}
DEFAULT_METRICS = ("final_val", "best_val", "test")
FIELDS = {  # front-matter field -> (type, what is expected, required); a selection as for tables
    **tables.FIELDS,
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
    baseline_words: str = ""  # the baseline in words (labels.full); its name where empty


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
    baseline = next(v for v in inv.variants if v.name == item["baseline"])
    return CompareDef(item["id"], item.get("title") or "", item["baseline"], selection, tuple(metrics),
                      full(baseline, inv.spec.config))


def _test_labels(run: Run, inv: InvestigationData) -> list[int] | None:
    """The labels of the run's test images, from the split file read with the runs
    (:meth:`InvestigationData.split_of`); None without one, and None where the run's targets are
    not the images' classes (digit pairs: the file holds each image's digit, not whether a pair's
    first digit is greater)."""
    if catalogue.PROBLEMS[run.record["config"].get("problem", "classify")].pairs:
        return None
    split = inv.split_of(run)
    if split is None:
        return None
    labels = split["test_labels"]
    path = splits.for_config(run.path.parent.parent, run.record["config"])  # named in the message only
    if len(labels) != run.record["config"]["test_size"]:  # the file's name promises test_size of them
        raise SiteError(path, "test", f"{run.record['config']['test_size']} test images, as its name says"
                        f"{splits.REPAIR}", f"{len(labels)} images")
    return labels


def _mcnemar(base: Run, other: Run, inv: InvestigationData) -> significance.McNemar | None:
    """McNemar's test of two runs' test predictions; None where either kept no classes."""
    first, second = (records.predicted_classes(run.record, "test") for run in (base, other))
    if first is None or second is None:
        return None
    labels = _test_labels(base, inv)
    if labels is None:
        return None
    first, second = first.tolist(), second.tolist()
    for run, predicted in ((base, first), (other, second)):
        if len(predicted) != len(labels):
            raise SiteError(run.path, "predictions.test", f"one class for each of the {len(labels)} test images "
                            "of its split (config.test_size)", f"{len(predicted)} classes")
    return significance.mcnemar(labels, first, second)


def _values(runs: list[Run], key: str) -> dict[int, float]:
    return {r.record["seed"]: v for r in runs if (v := outcomes.value(r.record, key)) is not None}


def raw_rows(compare: CompareDef, inv: InvestigationData) -> list[dict[str, Any]]:
    """Unadjusted rows: one per compared variant and metric."""
    runs_of: dict[str, list[Run]] = {}
    for run in inv.runs:
        runs_of.setdefault(run.variant.name, []).append(run)
    base_runs = sorted(runs_of.get(compare.baseline, []), key=lambda r: r.record["seed"])
    compared = [v for v in inv.variants if v.name != compare.baseline and compare.selection.matches(v)]
    # each variant by what it changes from the baseline, in words
    baseline = next(v for v in inv.variants if v.name == compare.baseline)
    rows = []
    for variant in compared:
        runs = sorted(runs_of.get(variant.name, []), key=lambda r: r.record["seed"])
        # one function under two names: a test between them would weigh rounding, so none is drawn
        same = equivalence.between(baseline, variant, inv)
        for key in compare.metrics:
            base, other = _values(base_runs, key), _values(runs, key)
            row: dict[str, Any] = {"variant": variant.name, "label": against(variant, baseline, inv.spec.config),
                                   "metric": METRICS[key][0], "key": key,
                                   "base": base, "other": other, "difference": None, "mcnemar": [],
                                   "same_function": same}
            if base and other:
                row["difference"] = significance.welch(list(base.values()), list(other.values()))
                if same:
                    row["difference"] = significance.Difference(row["difference"].mean, None, None, None)
            if key == "test" and not same:
                by_seed = {r.record["seed"]: r for r in runs}
                for seed_run in base_runs:
                    partner = by_seed.get(seed_run.record["seed"])
                    test = _mcnemar(seed_run, partner, inv) if partner else None
                    if test is not None:
                        row["mcnemar"].append({"seed": seed_run.record["seed"], "only_base": test.only_first,
                                               "only_other": test.only_second, "p": test.p,
                                               "identical": test.identical})
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
                difference, row["welch_adjusted"], higher_better))
            if difference is not None and row["same_function"]:
                row["verdict"] = "the same function as the baseline: no test"
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


def _mcnemar_cell(entry: dict[str, Any]) -> str:
    """One seed's McNemar reading; with no image only one model gets right there is no test to show."""
    if entry["p"] is None:
        return "identical predictions, no difference" if entry["identical"] else \
            "no image only one gets right, no difference"
    return f"{entry['only_base']} vs {entry['only_other']}, p {_p(entry['adjusted'])}"


def _mean(values: dict[int, float]) -> float | None:
    return sum(values.values()) / len(values) if values else None


def short_verdict(verdict: str) -> str:
    """The verdict as its table cell says it: the reading without its why (the expander has it)."""
    if verdict.startswith("the same function"):
        return "same function"
    reading = verdict.split(" (")[0]
    return "no detectable difference" if reading.startswith("no detectable difference") else reading


def _metric_cell(row: dict[str, Any]) -> dict[str, Any]:
    """One metric of one variant: its mean, and under it the difference from the baseline's,
    with the verdict where the test finds one."""
    d, key = row["difference"], row["key"]
    mean = _mean(row["other"])
    verdict = short_verdict(row["verdict"])
    under = "–" if d is None else _diff(d.mean, key) + (f", {verdict}" if verdict in ("better", "worse") else "")
    return {"text": _value(mean, key), "sort": mean, "under": under,
            "verdict": verdict if verdict in ("better", "worse") else ""}


def _details(row: dict[str, Any]) -> dict[str, str]:
    """Everything behind one metric's cell, for the expander: each seed, the interval, the tests."""
    d, key = row["difference"], row["key"]
    interval = "–" if d is None or d.low is None else f"{_diff(d.low, key)} to {_diff(d.high, key)}"
    return {
        "metric": row["metric"],
        "seeds": " / ".join(_value(v, key) for v in row["other"].values()) or "–",
        "base_seeds": " / ".join(_value(v, key) for v in row["base"].values()) or "–",
        "difference": "–" if d is None else _diff(d.mean, key),
        "interval": interval,
        "welch": _p(row.get("welch_adjusted")),
        "mcnemar": "; ".join(f"seed {e['seed']}: " + _mcnemar_cell(e) for e in row["mcnemar"]),
        "verdict": row["verdict"],
    }


def view(compare: CompareDef, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the template needs: one row per compared variant (the verdict on the first metric,
    what it changes, each metric's cell, with sort keys) and the details behind the expander."""
    by_variant: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_variant.setdefault(row["variant"], {})[row["key"]] = row
    lead = compare.metrics[0]
    out = []
    for name, metrics in by_variant.items():
        first = metrics[lead]
        verdict = short_verdict(first["verdict"])
        out.append({
            "variant": name,
            "label": unbroken(first["label"]),  # breaks between aspects only
            "verdict": verdict,
            "verdict_class": verdict.split(" ")[0],
            "cells": {key: _metric_cell(metrics[key]) for key in compare.metrics},
            "details": [_details(metrics[key]) for key in compare.metrics],
        })
    base = {key: _mean(next(iter(by_variant.values()))[key]["base"]) if by_variant else None
            for key in compare.metrics}
    columns = [{"key": key, "header": METRICS[key][0], "baseline": _value(base[key], key),
                "accuracy": _accuracy(key)} for key in compare.metrics]
    same = {row["variant"]: _same_function_note(row["same_function"]) for row in rows if row["same_function"]}
    return {"id": compare.id, "title": compare.title, "baseline": compare.baseline,
            "baseline_words": compare.baseline_words or compare.baseline, "lead": METRICS[lead][0],
            "rows": out, "columns": columns, "same_function": sorted(same.items()),
            "labels": {row["variant"]: row["label"] for row in rows}}


def _same_function_note(same: equivalence.SameFunction) -> str:
    """Why a variant and the baseline are one function, and what their predictions show."""
    if same.identical_seeds == same.seeds:
        shown = (f"every one of the {same.seeds} seeds both ran predicts the same class for each of the "
                 f"{same.images:,} validation and test inputs")
    else:
        shown = (f"{same.identical_seeds} of the {same.seeds} seeds both ran predict the same class for each "
                 f"of the {same.images:,} validation and test inputs, and the others differ on at most "
                 f"{same.most_different} of them")
    return f"{same.why[0].upper()}{same.why[1:]}; {shown}."
