"""What the summary elements (heatmap, fixed compute, leaderboard) read of one run: its final,
best and test accuracy, and whether it collapsed or diverged."""

from __future__ import annotations

import math
from typing import Sequence

from battleground.site.charts import run_note

METRICS = {  # key -> label; every one is an accuracy, higher is better
    "final_val": "final validation accuracy",
    "best_val": "best validation accuracy",
    "test": "test accuracy",
}


def metric(record: dict, key: str) -> float | None:
    """One run's accuracy of ``key``; None where it has none (diverged, unfinished, no test)."""
    accuracy = record["epochs"]["val_accuracy"]
    if key == "final_val":
        return accuracy[-1] if accuracy else None
    if key == "best_val":
        known = [a for a in accuracy if a is not None]
        return max(known) if known else None
    return record.get("test_accuracy")


def note(record: dict) -> str | None:
    """``diverged`` (the run diverged, or its last validation loss is null or NaN), ``collapsed``
    (it predicts one class, near chance), or None."""
    losses = record["epochs"]["val_loss"]
    last = losses[-1] if losses else 0.0
    if last is None or (isinstance(last, float) and not math.isfinite(last)):
        return "diverged"
    return run_note(record)


def mean(values: Sequence[float | None]) -> float | None:
    """The mean of the values that exist; None if none does."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def rounded(value: float | None, digits: int = 5) -> float | None:
    return None if value is None else round(value, digits)
