"""How the recorded runs were trained: their budget, epochs, hardware and code, per
investigation and model family, for the methodology page's ``{{ runs_summary }}``; and, under
each investigation's answer, the scale its findings rest on (:func:`scale`).

Everything here is read from the records, so the methodology page says what the runs in
``runs/`` did, whatever the training defaults say: a run with ``config.epochs`` set trained that
many epochs; one without trained for as many as its ``config.budget_s`` held.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from battleground.core import outcomes
from battleground.core.config import DEFAULTS, format_budget
from battleground.site import labels
from battleground.site.context import Context, InvestigationData, Run
from battleground.site.tables import code_version, duration

# provenance.cpu_name writes a CPU as "<model name> (<n> threads)"; a GPU is its CUDA name
_CPU = re.compile(r"\(\d+ threads?\)$")
# Runs that all trained for at most this share of the default budget are called the start of
# training: a curve a quarter of the way to its budget has not shown where it levels off.
SHORT = 0.25


def is_cpu(device: str) -> bool:
    return bool(_CPU.search(device))


def fixed_epochs(record: dict) -> int | None:
    """The epoch count the run was told to train, or None for a wall-clock budget run."""
    return record["config"].get("epochs")


def training_seconds(record: dict) -> float:
    return sum(s for s in record["epochs"]["seconds"] if s is not None)


def _counts(counter: Counter) -> list[str]:
    """``["a × 3", "b × 1"]``, most frequent first; one value alone without its count."""
    if len(counter) == 1:
        return list(counter)
    return [f"{value} × {n}" for value, n in sorted(counter.items(), key=lambda i: (-i[1], i[0]))]


def _counted(counter: Counter) -> str:
    return ", ".join(_counts(counter))


def _range(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


def bound(record: dict) -> str:
    """How the run was told when to stop: ``fixed`` (``config.epochs``) or ``budget 4h``."""
    return "fixed" if fixed_epochs(record) is not None else f"budget {format_budget(record['config']['budget_s'])}"


def training_lines(records: list[dict]) -> list[str]:
    """``fixed: 20–100 epochs``, one line per way the runs were bounded, with its number of runs
    where there are several ways."""
    epochs: dict[str, list[int]] = {}
    for record in records:
        epochs.setdefault(bound(record), []).append(len(record["epochs"]["epoch"]))
    return [f"{kind}: {_range(counts)} epoch{'s' if max(counts) != 1 else ''}"
            + (f" ({len(counts)} run{'s' if len(counts) > 1 else ''})" if len(epochs) > 1 else "")
            for kind, counts in sorted(epochs.items(), key=lambda item: (-len(item[1]), item[0]))]


def hardware(record: dict) -> str:
    """The device a run trained on, and how it was scheduled where that was not one process:
    ``AMD EPYC, 1 thread; Ray: 2 tasks at a time``."""
    device, executor = labels.device(record["environment"]["device"]), record["environment"].get("executor")
    if isinstance(executor, dict) and executor.get("name") == "ray":
        return f"{device}; Ray: {executor.get('concurrent_tasks', '?')} tasks at a time"
    if isinstance(executor, dict) and isinstance(executor.get("processes"), int):
        return f"{device}; {executor['processes']} processes"
    return device


@dataclass
class Group:
    """The runs of one (investigation, model family)."""

    investigation: str
    page: str | None  # the investigation's page, for a link
    family: str
    expected: int  # declared (variant, seed) pairs of the family
    runs: list[Run] = field(default_factory=list)

    def row(self) -> dict:
        records = [r.record for r in self.runs]
        return {
            "investigation": self.investigation, "page": self.page, "family": self.family,
            "runs": f"{len(records)} of {self.expected}",
            "longest": duration(max(training_seconds(r) for r in records)) if records else "–",
            # lists, one line each in the table
            "training": training_lines(records),
            "hardware": _counts(Counter(hardware(r) for r in records)),
            "torch": sorted({r["environment"]["torch"] for r in records}),
            "code": _counts(Counter(code_version(r["environment"]["code_version"]) for r in records)),
        }


def groups(context: Context) -> list[Group]:
    """A group per model family of each investigation (declared ones first), or one empty group
    for an investigation without runs."""
    out = []
    for name, inv in context.investigations.items():
        page = next((p.filename for p in context.investigation_pages() if p.investigation == name), None)
        families = list(dict.fromkeys(v.family for v in inv.variants))
        by_family = {f: Group(name, page, f, _declared(inv, f)) for f in families}
        for run in inv.runs:
            by_family[run.variant.family].runs.append(run)
        with_runs = [g for g in by_family.values() if g.runs]
        out.extend(with_runs or [Group(name, page, "–", inv.spec.run_count)])
    return out


def rows(context: Context) -> list[dict]:
    """The table's rows; an investigation's first one says so (``first``), to head its rows."""
    out = [group.row() for group in groups(context)]
    for i, row in enumerate(out):
        row["first"] = i == 0 or out[i - 1]["investigation"] != row["investigation"]
    return out


def _declared(inv: InvestigationData, family: str) -> int:
    return sum(len(inv.spec.seeds_of(v)) for v in inv.spec.variants if v.family == family)


def sentences(context: Context) -> list[str]:
    """What the runs so far are, in words, from the records: how many, fixed epochs or budget,
    which hardware, and whether even the longest stopped short of the default budget."""
    records = [r.record for inv in context.investigations.values() for r in inv.runs]
    if not records:
        return ["No run has been recorded yet."]
    n = len(records)
    out = [f"{n:,} run{'s are' if n > 1 else ' is'} recorded so far."]
    fixed = [fixed_epochs(r) for r in records if fixed_epochs(r) is not None]
    budgets = sorted({format_budget(r["config"]["budget_s"]) for r in records if fixed_epochs(r) is None})
    epochs = f"{_range(fixed)} epoch{'s' if max(fixed, default=0) > 1 else ''}" if fixed else ""
    if len(fixed) == n:
        out.append(f"{'All' if n > 1 else 'It'} trained a fixed number of epochs ({epochs}), "
                   "not a wall-clock budget.")
    elif not fixed:
        out.append(f"{'All' if n > 1 else 'It'} trained on a wall-clock budget ({', '.join(budgets)}).")
    else:
        out.append(f"{len(fixed):,} trained a fixed number of epochs ({epochs}), {n - len(fixed):,} on a "
                   f"wall-clock budget ({', '.join(budgets)}).")
    cpus = Counter(labels.device(r["environment"]["device"]) for r in records if is_cpu(r["environment"]["device"]))
    gpus = Counter(r["environment"]["device"] for r in records if not is_cpu(r["environment"]["device"]))
    if not gpus:
        out.append(f"{'All' if n > 1 else 'It'} ran on a CPU: {_counted(cpus)}.")
    elif not cpus:
        out.append(f"{'All' if n > 1 else 'It'} ran on a GPU: {_counted(gpus)}.")
    else:
        out.append(f"{sum(cpus.values()):,} ran on a CPU ({_counted(cpus)}), {sum(gpus.values()):,} on a GPU "
                   f"({_counted(gpus)}).")
    longest, budget = max(training_seconds(r) for r in records), format_budget(DEFAULTS.budget_s)
    if longest <= SHORT * DEFAULTS.budget_s:
        out.append(f"Even the longest trained for only {duration(longest)} of the {budget} default budget: "
                   "the curves show the start of training, not where each variant levels off.")
    else:
        out.append(f"The longest trained for {duration(longest)}; the default budget is {budget}.")
    return out


def _shares(counter: Counter, say) -> str:
    """``say(value)`` for one value; ``say(a) (n runs) and say(b) (m)`` for several, most runs first."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
    if len(ranked) == 1:
        return say(ranked[0][0])
    parts = [f"{say(value)} ({n:,} run{'s' if n != 1 else ''})" if i == 0 else f"{say(value)} ({n:,})"
             for i, (value, n) in enumerate(ranked)]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _images(record: dict) -> tuple[str, int | None]:
    """What a run trained on, as the record states it: (every training image, the first ones, or
    pairs drawn from them; how many)."""
    if outcomes.problem_of(record).pairs:
        kind = "pairs"
    else:
        kind = "every" if record["config"].get("train_size") is None else "first"
    return kind, (record.get("data") or {}).get("train_images")


def _images_said(found: tuple[str, int | None]) -> str:
    kind, count = found
    number = f"{count:,} " if count else ""
    return {"every": f"all {number}training images", "first": f"the first {number}training images",
            "pairs": f"{number}training pairs"}[kind]


def scale(inv: InvestigationData) -> str | None:
    """One sentence of the scale of an investigation's records, which its findings choose from: how
    many runs, how many epochs each, on how much of the training set, on which kind of device. None
    without runs. (A finding can choose some of them, such as the runs on every image: it says so.)"""
    records = [r.record for r in inv.runs]
    if not records:
        return None
    n = len(records)
    epochs = Counter(len(r["epochs"]["epoch"]) for r in records)
    if len(epochs) > 3:  # runs still training, say: the range, and the most common length
        most = max(epochs, key=lambda e: (epochs[e], e))
        lengths = f"{_range(list(epochs))} epochs ({epochs[most]:,} of {most:,})"
    else:
        lengths = _shares(epochs, lambda e: f"{e:,} epoch{'s' if e != 1 else ''}")
    images = _shares(Counter(_images(r) for r in records), _images_said)
    kinds = Counter("a CPU" if is_cpu(r["environment"]["device"]) else "a GPU" for r in records)
    return (f"The records behind these findings: {n:,} run{'s' if n != 1 else ''} of {lengths}, on {images}, "
            f"trained on {_shares(kinds, str)}.")
