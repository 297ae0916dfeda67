"""``{{ investigations }}``: the home page's list of investigations, each with its headline chart."""

from __future__ import annotations

from battleground.site import charts
from battleground.site.elements.base import NO_RESULTS, Element, Rendering
from battleground.site.elements.chart import render_chart


def render(r: Rendering, _: str | None) -> str:
    cards = []
    for other in r.context.investigation_pages():
        inv = r.context.investigations[other.investigation]
        headline = ""
        if other.headline:
            headline = render_chart(r, other, other.headline, charts.HEADLINE_POINTS, small=True)
        cards.append({"page": other, "runs": len(inv.runs),
                      "expected": inv.spec.run_count, "headline": headline})
    return r.template("investigations.html").render(cards=cards, no_results=NO_RESULTS)


ELEMENT = Element(kind="investigations", render=render, site_wide=True)
