"""``{{ runs_summary }}``: per investigation and model family, the recorded runs' budget, hardware
and code versions, and a few sentences that say the same (:mod:`battleground.site.runs_summary`)."""

from __future__ import annotations

from battleground.site import runs_summary
from battleground.site.elements.base import Element, Rendering


def render(r: Rendering, _: str | None) -> str:
    return r.template("runs_summary.html").render(sentences=runs_summary.sentences(r.context),
                                                  rows=runs_summary.rows(r.context))


ELEMENT = Element(kind="runs_summary", render=render, site_wide=True)
