"""Every page element, in one place: adding one is a module under ``elements/`` and a line here.

The order is the order of the page's front-matter checks and of the kinds listed in messages.
"""

from __future__ import annotations

from battleground.site.elements import (answer, benchmarks, chart, compare, defaults, distribution, families,
                                        fixed_compute, heatmap, investigations, leaderboard, model, references,
                                        runs_summary, table, zoo)
from battleground.site.elements.base import Element

_ELEMENTS: dict[str, Element] = {}


def elements() -> dict[str, Element]:
    """Every registered element by kind, in registry order."""
    if not _ELEMENTS:
        _register_builtin()
    return _ELEMENTS


def register(element: Element) -> Element:
    """Make ``element`` known to the parser, the page reader, the renderer and the builder."""
    known = elements()
    if element.kind in known:
        raise ValueError(f"an element of kind {element.kind!r} is registered already")
    if element.front_matter is not None and any(e.front_matter == element.front_matter for e in known.values()):
        raise ValueError(f"another element defines its entries in {element.front_matter!r}")
    known[element.kind] = element
    return element


def unregister(kind: str) -> None:
    """Forget an element (a test's own, once it is done)."""
    _ELEMENTS.pop(kind, None)


def defining() -> list[Element]:
    """The elements whose instances a page defines in its front matter, in registry order."""
    return [e for e in elements().values() if e.front_matter is not None]


def _register_builtin() -> None:
    for module in (chart, table, compare, model, defaults, investigations, benchmarks, runs_summary,
                   heatmap, fixed_compute, leaderboard, distribution, references, zoo, families, answer):
        _ELEMENTS[module.ELEMENT.kind] = module.ELEMENT
