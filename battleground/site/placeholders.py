"""Find and check the placeholders of a page's prose.

Block placeholders stand alone on a line: ``{{ <kind> }}`` or ``{{ <kind>: <argument> }}``, one
kind per registered element (:mod:`battleground.site.elements.registry`), each declaring whether it
takes an argument and what the argument names. Inline placeholders ``{{ config.<name> }}`` put a
training default (:mod:`battleground.site.training_defaults`) into a sentence; ``{{ = … }}`` and
``{{ ! … }}`` put a number computed from the runs, or a checked claim (:mod:`.findings`).

The elements by kind are passed in (the reader, :mod:`.content`, asks the registry): elements use
this module's patterns, so it cannot import them.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from battleground.site.context import Context, Page, SiteError

BLOCK = re.compile(r"^\{\{\s*([a-z_]+)\s*(?::\s*([^\s{}]+)\s*)?\}\}\s*$")
INLINE = re.compile(r"\{\{\s*config\.([a-z_]+)\s*\}\}")
EXPRESSION = re.compile(r"\{\{\s*([=!])\s*(.*?)\s*\}\}")  # a value or claim of the findings grammar (.findings)


def placeholders(page: Page, elements: Mapping[str, Any]) -> list[tuple[int, str, str | None]]:
    """(line number, kind, argument) of each block placeholder; checks every ``{{ … }}`` against
    the page ``elements`` by kind."""
    found = []
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        match = BLOCK.match(line.strip())
        where = f"body line {number}"
        if match:
            kind, arg = match.groups()
            if kind not in elements:
                raise SiteError(page.path, where, "a placeholder of kind " + ", ".join(elements), line.strip())
            element = elements[kind]
            if element.takes_argument != (arg is not None):
                raise SiteError(page.path, where, f"the placeholder written as {element.shape}", line.strip())
            found.append((number, kind, arg))
            continue
        rest = EXPRESSION.sub("", INLINE.sub("", line))
        if "{{" in rest or "}}" in rest:
            raise SiteError(page.path, where, "a placeholder alone on its line ({{ chart: <id> }}, "
                            "{{ table: <id> }}, …), inline {{ config.<name> }}, or a findings expression "
                            "{{ = … }} / {{ ! … }}", line.strip())
    return found


def kinds_used(page: Page, elements: Mapping[str, Any]) -> frozenset[str]:
    """The kinds of element the page's prose places (kept as ``page.kinds`` when it is read)."""
    return frozenset(kind for _, kind, _ in placeholders(page, elements))


def check_placeholders(page: Page, context: Context, elements: Mapping[str, Any]) -> None:
    """Every placeholder of ``page`` names something that exists, where it may be used."""
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        for name in INLINE.findall(line):
            if name not in context.defaults:
                raise SiteError(page.path, f"body line {number}", "{{ config.<name> }} with a name among "
                                + ", ".join(sorted(context.defaults)), f"config.{name}")
    defining = [e for e in elements.values() if e.front_matter is not None]
    used: dict[str, set[str]] = {element.kind: set() for element in defining}
    for number, kind, arg in placeholders(page, elements):
        where = f"body line {number}"
        element = elements[kind]
        if element.places_all:
            used[kind].update(page.defined(element.front_matter))
        elif element.front_matter is not None:
            defined = page.defined(element.front_matter)
            if arg not in defined:
                raise SiteError(page.path, where, f"a {kind} defined in the front matter's "
                                f"'{element.front_matter}': " + (", ".join(defined) or "none defined"),
                                f"{kind}: {arg}")
            used[kind].add(arg)
        elif page.investigation and element.site_wide:
            raise SiteError(page.path, where, f"no {{{{ {kind} }}}} on an investigation page")
        if element.check_use is not None:
            element.check_use(arg, page, context, where)
    for element in defining:
        for unused in sorted(set(page.defined(element.front_matter)) - used[element.kind]):
            placing = element.shape if element.places_all else f"{{{{ {element.kind}: {unused} }}}}"
            context.warnings.append(f"{page.path}: {element.kind} '{unused}' is defined but no {placing} places it")
