"""``{{ reference: <id> }}``: a published result beside ours. Each row names a variant, a metric
and the number its source reported (with its spread, if given); ours is the mean ± standard
deviation over the variant's recorded seeds, computed at build time, so the comparison never
goes stale when runs are added.

A page declares references in its front matter::

    references:
      - id: original
        title: The course project's numbers and ours
        source: "the original report, 50 epochs, GTX 970M"
        rows:
          - variant: "SiameseNet[aux_weight=1.0,branch=ResNet,lr=0.005]"
            metric: test          # test, final_val, best_val or train_seconds
            value: 0.8693
            std: 0.0504           # optional
            label: Siamese ResNet with auxiliary loss   # optional; default the variant's name
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from battleground.core.values import is_finite_number
from battleground.site import frontmatter
from battleground.site.context import InvestigationData, SiteError
from battleground.site.elements.base import Element, Rendering
from battleground.site.elements.distribution import METRICS, spread, value

FIELDS = {
    "id": frontmatter.ID_FIELD,
    "title": (str, "a string", True),
    "source": (str, "a string naming where the reported numbers come from", True),
    "rows": (list, "a list of rows, each with variant, metric and value", True),
}
ROW_FIELDS = {
    "variant": (str, "the name of one of the investigation's variants", True),
    "metric": (str, "one of " + ", ".join(METRICS), True),
    "value": ((int, float), "the reported number (an accuracy as a fraction, a time in seconds)", True),
    "std": ((int, float), "the reported standard deviation", False),
    "label": (str, "a string", False),
}


@dataclass(frozen=True)
class Row:
    variant: str
    metric: str
    value: float
    std: float | None
    label: str


@dataclass(frozen=True)
class ReferenceDef:
    id: str
    title: str
    source: str
    rows: tuple[Row, ...]


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> ReferenceDef:
    known = {v.name for v in inv.variants}
    rows = []
    for i, row in enumerate(item["rows"]):
        where = f"{prefix}rows[{i}]."
        if not isinstance(row, dict):
            raise SiteError(path, where.rstrip("."), "a mapping with variant, metric and value", row)
        frontmatter.check_fields(row, ROW_FIELDS, path, where)
        if row["variant"] not in known:
            raise SiteError(path, where + "variant", f"a variant of investigation '{inv.spec.name}'", row["variant"])
        for number in ("value", "std"):
            if number in row and (isinstance(row[number], bool) or not is_finite_number(row[number])):
                raise SiteError(path, where + number, "a finite number", row[number])
        rows.append(Row(row["variant"], frontmatter.enum(row, "metric", tuple(METRICS), path, where),
                        float(row["value"]), float(row["std"]) if "std" in row else None,
                        row.get("label") or row["variant"]))
    return ReferenceDef(item["id"], item["title"], item["source"], tuple(rows))


def _shown(metric: str, number: float | None) -> str:
    if number is None:
        return "–"
    return f"{number:.1f} s" if metric == "train_seconds" else f"{100 * number:.2f}%"


def _spread_text(metric: str, mean: float | None, std: float | None) -> str:
    text = _shown(metric, mean)
    if std is not None and mean is not None:
        text += " ± " + (f"{std:.1f} s" if metric == "train_seconds" else f"{100 * std:.2f} pp")
    return text


def table(reference: ReferenceDef, inv: InvestigationData) -> list[dict]:
    """One row per reported number: the source's, ours (mean ± std over n seeds) and the difference."""
    out = []
    for row in reference.rows:
        values = [v for v in (value(r.record, row.metric) for r in inv.runs if r.variant.name == row.variant)
                  if v is not None]
        ours = spread(values)
        difference = None if ours["mean"] is None else ours["mean"] - row.value
        if row.metric == "train_seconds":
            change = "–" if difference is None else f"{ours['mean'] / row.value:.1f}×"
        else:
            change = "–" if difference is None else f"{100 * difference:+.2f} pp"
        out.append({"label": row.label, "variant": row.variant, "metric": METRICS[row.metric],
                    "reported": _spread_text(row.metric, row.value, row.std),
                    "ours": _spread_text(row.metric, ours["mean"], ours["std"]), "n": ours["n"], "change": change})
    return out


def render(r: Rendering, reference_id: str | None) -> str:
    reference = r.page.defined("references")[reference_id]
    return r.template("reference.html").render(reference=reference, rows=table(reference, r.investigation))


ELEMENT = Element(kind="reference", render=render, front_matter="references", fields=FIELDS, define=define,
                  entries_are="references")
