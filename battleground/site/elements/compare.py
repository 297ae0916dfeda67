"""``{{ compare: <id> }}``: a ``comparisons`` entry, each variant against a baseline with Welch's
and McNemar's tests (:mod:`battleground.site.comparison`); every p-value of the page is adjusted
together, so the page's comparisons are computed once and shared."""

from __future__ import annotations

from battleground.site import comparison
from battleground.site.elements.base import NO_RESULTS, Element, Rendering


def render(r: Rendering, compare_id: str | None) -> str:
    if "comparisons" not in r.cache:  # Holm's adjustment spans every comparison of the page
        r.cache["comparisons"] = comparison.page_rows(list(r.page.comparisons.values()), r.investigation)
    return r.template("compare.html").render(
        table=comparison.view(r.page.comparisons[compare_id], r.cache["comparisons"][compare_id]),
        no_results=NO_RESULTS)


ELEMENT = Element(kind="compare", render=render, front_matter="comparisons", fields=comparison.FIELDS,
                  define=comparison.define, needs=("tables",))  # sortable like the results tables
