"""Find and check the placeholders of a page's prose.

Block placeholders stand alone on a line: ``{{ <kind> }}`` or ``{{ <kind>: <argument> }}``, one
kind per registered element (:mod:`battleground.site.elements.registry`), each declaring whether it
takes an argument and what the argument names. Inline placeholders ``{{ config.<name> }}`` put a
training default (:mod:`battleground.site.training_defaults`) into a sentence.
"""

from __future__ import annotations

import re

from battleground.site.context import Context, Page, SiteError
from battleground.site.elements import registry

BLOCK = re.compile(r"^\{\{\s*([a-z_]+)\s*(?::\s*([^\s{}]+)\s*)?\}\}\s*$")
INLINE = re.compile(r"\{\{\s*config\.([a-z_]+)\s*\}\}")


def placeholders(page: Page) -> list[tuple[int, str, str | None]]:
    """(line number, kind, argument) of each block placeholder; checks every ``{{ … }}``."""
    found = []
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        match = BLOCK.match(line.strip())
        where = f"body line {number}"
        if match:
            kind, arg = match.groups()
            if kind not in registry.elements():
                raise SiteError(page.path, where, "a placeholder of kind " + ", ".join(registry.elements()),
                                line.strip())
            element = registry.elements()[kind]
            if element.takes_argument != (arg is not None):
                raise SiteError(page.path, where, f"the placeholder written as {element.shape}", line.strip())
            found.append((number, kind, arg))
            continue
        rest = INLINE.sub("", line)
        if "{{" in rest or "}}" in rest:
            raise SiteError(page.path, where, "a placeholder alone on its line ({{ chart: <id> }}, "
                            "{{ table: <id> }}, …) or inline {{ config.<name> }}", line.strip())
    return found


def kinds_used(page: Page) -> set[str]:
    """The kinds of element the page's prose places."""
    return {kind for _, kind, _ in placeholders(page)}


def check_placeholders(page: Page, context: Context) -> None:
    """Every placeholder of ``page`` names something that exists, where it may be used."""
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        for name in INLINE.findall(line):
            if name not in context.defaults:
                raise SiteError(page.path, f"body line {number}", "{{ config.<name> }} with a name among "
                                + ", ".join(sorted(context.defaults)), f"config.{name}")
    defining = registry.defining()
    used: dict[str, set[str]] = {element.kind: set() for element in defining}
    for number, kind, arg in placeholders(page):
        where = f"body line {number}"
        element = registry.elements()[kind]
        if element.front_matter is not None:
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
            context.warnings.append(f"{page.path}: {element.kind} '{unused}' is defined but no "
                                    f"{{{{ {element.kind}: {unused} }}}} places it")
