"""``{{ distribution: <id> }}``: one metric of every run, as a distribution per variant: a box
over the seeds with every seed drawn as a point (hover names the variant and the seed), and the
mean ± standard deviation beside it. ``static/js/distribution.js`` draws it with Plotly; a
selector switches the metric.

A page declares distributions in its front matter, selecting variants as a chart does::

    distributions:
      - id: test-accuracy
        title: Test accuracy over the repeats
        family: ConvNet          # or variants: [...], where: {...}; default every variant
        metric: test             # the metric shown first: test, final_val, best_val or train_seconds
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from battleground.core import outcomes
from battleground.core.outcomes import rounded
from battleground.site import charts, frontmatter
from battleground.site.context import Context, InvestigationData, Page, Selection
from battleground.site.elements.base import NO_RESULTS, Element, Rendering, data_path
from battleground.site.tables import mean_std

ACCURACIES = {key: s.label for key, s in outcomes.HEADLINE.items()}  # final_val, best_val, test -> label
METRICS = {**ACCURACIES, "train_seconds": "training time (s)"}  # key -> label
DIGITS = {**{key: 4 for key in ACCURACIES}, "train_seconds": 1}  # decimals kept: 0.01 pp, 0.1 s
HIGHER_IS_BETTER = {key: key != "train_seconds" for key in METRICS}

FIELDS = {
    "id": frontmatter.ID_FIELD,
    "title": (str, "a string", True),
    "caption": (str, "a string", False),
    **frontmatter.SELECTION_FIELDS,
    "metric": (str, "one of " + ", ".join(METRICS), False),
}


@dataclass(frozen=True)
class DistributionDef:
    id: str
    title: str
    selection: Selection
    metric: str = "test"
    caption: str = ""


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> DistributionDef:
    selection = frontmatter.selection(item, inv, path, prefix)
    chosen = frontmatter.enum(item, "metric", tuple(METRICS), path, prefix) if "metric" in item else "test"
    return DistributionDef(item["id"], item["title"], selection, chosen, item.get("caption") or "")


def value(record: dict, key: str) -> float | None:
    """One run's value of ``key``: an accuracy, or its training seconds summed over its epochs
    (None for a run that is not complete)."""
    if key == "train_seconds":
        seconds = record["epochs"]["seconds"]
        return sum(seconds) if record.get("status") == "complete" and seconds else None
    return outcomes.value(record, key)


def spread(values: list[float]) -> dict:
    """Mean, sample standard deviation (None for one value) and count of ``values``."""
    mean, std = mean_std(values)
    return {"mean": rounded(mean), "std": rounded(std), "n": len(values)}


def short_labels(variants: list) -> dict[str, str]:
    """A label per variant: its family and the parameters that differ within the family."""
    out = {}
    for family in dict.fromkeys(v.family for v in variants):
        group = [v for v in variants if v.family == family]
        within = charts.labels(group) if len(group) > 1 else {group[0].name: ""}
        out.update({name: f"{family} · {label}" if label else family for name, label in within.items()})
    return out


def boxes(distribution: DistributionDef, inv: InvestigationData) -> dict:
    """Per selected variant with runs: its label, its seeds and each metric's value for each
    seed (``values[metric][i]`` is seed ``seeds[i]``'s), and their spread."""
    selected = [v for v in inv.variants if distribution.selection.matches(v)]
    label = short_labels(selected)
    out = []
    for v in selected:
        runs = sorted((r for r in inv.runs if r.variant.name == v.name), key=lambda r: r.record["seed"])
        if not runs:
            continue
        # column-wise, so a hundred variants of fifteen seeds stay a few kB of the page
        values = {key: [rounded(value(r.record, key), DIGITS[key]) for r in runs] for key in METRICS}
        out.append({"variant": v.name, "label": label[v.name], "seeds": [r.record["seed"] for r in runs],
                    "values": values,
                    "spread": {key: spread([x for x in values[key] if x is not None]) for key in METRICS}})
    records_ = [r.record for r in inv.runs if distribution.selection.matches(r.variant)]
    return {"boxes": out, "metric": distribution.metric, "metrics": METRICS, "higher": HIGHER_IS_BETTER,
            "data": charts.data_label(records_)}


def json_name(page: Page, distribution_id: str) -> str:
    return data_path(page.investigation, f"{distribution_id}.distribution.json")


def render(r: Rendering, distribution_id: str | None) -> str:
    distribution = r.page.defined("distributions")[distribution_id]
    data = boxes(distribution, r.investigation)
    return r.template("distribution.html").render(
        distribution=distribution, data=data, data_json=charts.inline_json(data),
        dom_id=f"distribution-{r.page.slug}-{distribution_id}", json_href=json_name(r.page, distribution_id),
        no_results=NO_RESULTS)


def files(page: Page, context: Context) -> dict[str, str]:
    inv = context.investigations.get(page.investigation) if page.investigation else None
    return {json_name(page, d.id): charts.inline_json(boxes(d, inv)) + "\n"
            for d in page.defined("distributions").values()}


ELEMENT = Element(kind="distribution", render=render, front_matter="distributions", fields=FIELDS,
                  define=define, entries_are="distributions", needs=("charts", "distribution.js"), files=files)
