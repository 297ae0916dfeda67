"""``{{ defaults }}``: the training defaults as a table (:mod:`battleground.site.training_defaults`)."""

from __future__ import annotations

from battleground.site.elements.base import Element, Rendering
from battleground.site.training_defaults import DEFAULT_ROWS


def render(r: Rendering, _: str | None) -> str:
    rows = [(label, r.context.defaults[key]) for key, label in DEFAULT_ROWS]
    return r.template("defaults.html").render(rows=rows)


ELEMENT = Element(kind="defaults", render=render, site_wide=True)
