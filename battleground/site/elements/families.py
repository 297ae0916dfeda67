"""``{{ families }}``: every model family of the catalogue (``battleground/core/catalogue.py``),
each with what it is, the problems it can be trained on, its parameters and their defaults, and
its exact source from ``battleground/train/models.py`` (read with ``ast``, never imported). Made
from the catalogue, so a family added there appears on the page without an edit to the prose."""

from __future__ import annotations

import ast

from battleground.core import catalogue
from battleground.site.context import Context, Page, SiteError
from battleground.site.elements.base import Element, Rendering
from battleground.site.elements.model import SOURCE_PATH


def groups() -> list[tuple[str, str, list[catalogue.Family]]]:
    """(anchor, heading, its families in catalogue order): the investigations' then the zoo's."""
    return [("investigation-families", "The investigations' families",
             [f for name, f in catalogue.FAMILIES.items() if name not in catalogue.ZOO_FAMILIES]),
            ("zoo-families", "The network zoo's families", list(catalogue.ZOO_FAMILIES.values()))]


def check_use(_: str | None, page: Page, context: Context, where: str) -> None:
    missing = [name for name in catalogue.FAMILIES if context.models and name not in context.models]
    if missing:
        raise SiteError(context.models_path or page.path, where, "a class for every family of the catalogue",
                        "no class " + ", ".join(missing))


def _bases(source: str, models: dict[str, str]) -> list[str]:
    """The classes of models.py that the class of ``source`` builds on, nearest first."""
    node = ast.parse(source).body[0]
    found = []
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in models:
            found += [base.id] + _bases(models[base.id], models)
    return found


def _parameter(param: catalogue.Param) -> dict:
    default = None if param.default is catalogue.REQUIRED else catalogue.format_value(param.default)
    return {"name": param.name, "expected": param.expected, "default": default}


def render(r: Rendering, _: str | None) -> str:
    models = r.context.models
    shown: dict[str, str] = {}  # a base class of models.py -> the family it is shown with
    shown_groups = []
    for anchor, heading, families in groups():
        entries = []
        for family in families:
            sources, built_on = [], []
            if family.name in models:
                sources.append((family.name, models[family.name]))
                for base in _bases(models[family.name], models):
                    if base in shown:
                        built_on.append((base, shown[base]))
                    else:
                        shown[base] = family.name
                        sources.append((base, models[base]))
            entries.append({
                "name": family.name,
                "what": family.what[:1].upper() + family.what[1:] + ".",
                "problems": [(p, catalogue.PROBLEMS[p].what) for p in family.problems],
                "params": [_parameter(p) for p in family.params],
                "sources": sources, "built_on": built_on,
            })
        shown_groups.append({"anchor": anchor, "heading": heading, "families": entries})
    return r.template("families.html").render(groups=shown_groups, path=SOURCE_PATH)


ELEMENT = Element(kind="families", render=render, site_wide=True, check_use=check_use)
