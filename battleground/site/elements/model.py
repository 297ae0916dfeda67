"""``{{ model: <Class> }}``: a model class's exact source, read from ``battleground/train/models.py``
with ``ast`` (never imported: the site side has no torch)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from battleground.site.context import Context, Page, SiteError
from battleground.site.elements.base import Element, Rendering
from battleground.site.frontmatter import read_utf8

SOURCE_PATH = "battleground/train/models.py"  # as the page names it


def model_sources(path: Path) -> dict[str, str]:
    """Each top-level class of ``path`` and its exact source text, read with ``ast``, never imported."""
    if not os.path.lexists(path):
        raise SiteError(path, "(file)", "the model definitions (the models page shows each class's "
                        "source); it comes with the torch side, or pass --models PATH")
    text = read_utf8(path, "the model definitions (Python source)",
                     "pass --models PATH of battleground/train/models.py", "UTF-8 Python source")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise SiteError(path, f"line {error.lineno}", f"Python source ({error.msg})") from None
    lines = text.splitlines()
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out[node.name] = "\n".join(lines[start - 1: node.end_lineno])
    return out


def check_use(name: str | None, page: Page, context: Context, where: str) -> None:
    if context.models_path is None or not context.models:
        raise SiteError(page.path, where, "battleground/train/models.py to exist (the model source is "
                        "read from it at build time; it comes with the torch side)", f"model: {name}")
    if name not in context.models:
        raise SiteError(page.path, where, f"a class defined in {context.models_path}: "
                        + ", ".join(context.models), f"model: {name}")


def render(r: Rendering, name: str | None) -> str:
    return r.template("model.html").render(name=name, source=r.context.models[name], path=SOURCE_PATH)


ELEMENT = Element(kind="model", render=render, takes_argument=True, check_use=check_use)
