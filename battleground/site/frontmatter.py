"""Read one page of ``site_src/``: its YAML front matter and Markdown body, every field checked.

A page is ``site_src/<slug>.md``: front matter between ``---`` lines, then Markdown. The page's own
fields are :data:`PAGE_FIELDS`; each registered element (:mod:`battleground.site.elements`) adds
the field listing its entries (``charts``, ``tables``, ...) and checks each entry with the helpers
here (:func:`check_fields`, :func:`selection`, :func:`seed`, :func:`enum`, :func:`facet`), so an
error names the file, the field and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from battleground.core import files
from battleground.site.context import InvestigationData, Page, Selection, SiteError

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*\n?", re.S)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# the fields every page may have; each element with entries adds its own (charts, tables, ...)
PAGE_FIELDS: dict[str, tuple[Any, str, bool]] = {  # field -> (type check, what is expected, required)
    "title": (str, "a string", True),
    "summary": (str, "a string", True),
    "order": (int, "a whole number", True),
    "investigation": (str, "the name of an investigation in experiments/", False),
    "headline": (str, "the id of one of this page's charts", False),
}
# fields that element entries share: an id, and a selection of variants as for charts
ID_FIELD = (str, "an id of lower-case letters, digits and '-'", True)
SELECTION_FIELDS = {
    "family": (str, "a model family", False),
    "where": (dict, "a mapping of model parameters to values", False),
    "variants": (list, "a list of variant names", False),
}
SEED_FIELD = ((int, str), "a seed of the investigation or 'all'", False)


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader, stricter where a page's front matter gains nothing from YAML's
    freedom: a key written twice (YAML keeps the last, so a second ``charts:`` would silently
    drop the first) and aliases (``*name``, which let a few lines expand into a structure far
    larger than the page) are errors naming the line."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in front matter; "
                                              "write the value out", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # <<: {...}, merged by the base loader
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) or key is None:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {str(key)[:40]!r} is written twice in one mapping; keep one",
                        key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def split_front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    """(front matter, body, the body's first line number) of a page's text. A page saved with
    Windows line endings or a byte-order mark (as some editors write) reads as any other."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    match = _FRONT.match(text)
    if not match:
        raise SiteError(path, "(front matter)", "YAML front matter between two '---' lines at the top")
    try:
        meta = yaml.load(match.group(1) or "", Loader=_FrontMatterLoader)  # noqa: S506 - a SafeLoader
    except RecursionError:
        raise SiteError(path, "(front matter)", "YAML nested a few levels deep; it is nested too deep to read") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2} column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SiteError(path, "(front matter)", f"valid YAML; it is malformed{where} ({problem})") from None
    if not isinstance(meta, dict):
        raise SiteError(path, "(front matter)", "a YAML mapping of fields", meta)
    return meta, text[match.end():], text[: match.end()].count("\n") + 1


def check_fields(data: dict, spec: dict, path: Path, prefix: str) -> None:
    unknown = sorted(set(map(str, data)) - set(spec))
    if unknown:
        raise SiteError(path, prefix + unknown[0], "one of the known fields: " + ", ".join(spec))
    for name, (kind, expected, required) in spec.items():
        if name not in data or data[name] is None:
            if required:
                raise SiteError(path, prefix + name, f"{expected} (the field is missing)")
            continue
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, kind):
            raise SiteError(path, prefix + name, expected, value)


def selection(item: dict, inv: InvestigationData, path: Path, prefix: str) -> Selection:
    family = item.get("family")
    known_families = sorted({v.family for v in inv.variants})
    if family is not None and family not in known_families:
        raise SiteError(path, prefix + "family", "a model family of investigation "
                        f"'{inv.spec.name}': " + ", ".join(known_families), family)
    names = item.get("variants") or []
    known = {v.name for v in inv.variants}
    for i, name in enumerate(names):
        if not isinstance(name, str) or name not in known:
            raise SiteError(path, f"{prefix}variants[{i}]", f"a variant of investigation '{inv.spec.name}' "
                            f"(declared in experiments/ or found in runs/), e.g. {inv.variants[0].name}", name)
    where = item.get("where") or {}
    selection = Selection(family, tuple(sorted((str(k), v) for k, v in where.items())), tuple(names))
    if not any(selection.matches(v) for v in inv.variants):
        raise SiteError(path, prefix.rstrip("."), f"a selection (family / where / variants) that matches at "
                        f"least one variant of investigation '{inv.spec.name}'")
    return selection


def seed(item: dict, inv: InvestigationData, path: Path, prefix: str, default: int | str) -> int | str:
    seed = item.get("seed", default)
    if seed != "all" and seed not in inv.spec.seeds:
        raise SiteError(path, prefix + "seed", "one of the investigation's seeds "
                        + ", ".join(map(str, inv.spec.seeds)) + " or 'all'", seed)
    return seed


def facet(item: dict, selection: Selection, inv: InvestigationData, path: Path, prefix: str) -> tuple[str, ...]:
    value = item.get("facet") or []
    names = [value] if isinstance(value, str) else value
    selected = [v for v in inv.variants if selection.matches(v)]
    for i, name in enumerate(names):
        if not isinstance(name, str) or not all(name in v.kwargs for v in selected):
            where = prefix + "facet" + (f"[{i}]" if isinstance(value, list) else "")
            common = sorted(set.intersection(*(set(v.kwargs) for v in selected)))
            raise SiteError(path, where, "a parameter of every variant the chart selects: "
                            + (", ".join(common) or "none in common"), name)
    if len(set(names)) != len(names):
        raise SiteError(path, prefix + "facet", "each parameter once", value)
    return tuple(names)


def enum(item: dict, name: str, allowed: tuple[str, ...], path: Path, prefix: str) -> str:
    value = item.get(name, allowed[0])
    if value not in allowed:
        raise SiteError(path, prefix + name, "one of " + ", ".join(allowed), value)
    return value


def entries(meta: dict, key: str, spec: dict, path: Path) -> list[tuple[dict, str]]:
    out, seen = [], set()
    for i, item in enumerate(meta.get(key) or []):
        prefix = f"{key}[{i}]."
        if not isinstance(item, dict):
            raise SiteError(path, f"{key}[{i}]", "a mapping with at least an id", item)
        check_fields(item, spec, path, prefix)
        if not _ID.match(item["id"]):
            raise SiteError(path, prefix + "id", spec["id"][1], item["id"])
        if item["id"] in seen:
            raise SiteError(path, prefix + "id", "an id not used by another entry of " + key, item["id"])
        seen.add(item["id"])
        out.append((item, prefix))
    return out


def read_utf8(path: Path, what: str, advice: str, expected: str) -> str:
    """The text of a regular file (:func:`files.read_regular_bytes`), or a :class:`SiteError`."""
    try:
        return files.read_regular_bytes(path, SiteError, what, advice).decode("utf-8")
    except UnicodeDecodeError:
        raise SiteError(path, "(file)", expected) from None


def read_page(path: Path, investigations: dict[str, InvestigationData], elements: Mapping[str, Any]) -> Page:
    """One page of ``site_src/``, its front matter validated against the investigations and the
    page ``elements`` by kind (:func:`.elements.registry.elements`; each reads and checks its own
    entries). The elements are passed in, not looked up: they use this module's helpers."""
    text = read_utf8(path, "a Markdown page", "move it out of the pages folder or put the page in its place",
                     "UTF-8 text")
    meta, body, body_start = split_front_matter(text, path)
    defining = [e for e in elements.values() if e.front_matter is not None]
    check_fields(meta, {**PAGE_FIELDS, **{e.front_matter: (list, e.expected_list, False) for e in defining}},
                 path, "")
    page = Page(path.stem, path, meta["title"], meta["summary"], meta["order"], body, body_start)
    name = meta.get("investigation")
    if name is None:
        for key in (*(e.front_matter for e in defining), "headline"):
            if meta.get(key) is not None:
                raise SiteError(path, key, "no " + ", ".join(e.front_matter for e in defining)
                                + " or headline on a page without 'investigation'")
        return page
    if name not in investigations:
        raise SiteError(path, "investigation", "an investigation in experiments/: "
                        + (", ".join(investigations) or "none"), name)
    inv = investigations[name]
    page.investigation = name
    for element in defining:
        page.entries[element.front_matter] = {
            item["id"]: element.define(item, inv, path, prefix)
            for item, prefix in entries(meta, element.front_matter, element.fields, path)}
    for element in elements.values():
        if element.check_page is not None:
            element.check_page(page)
    headline = meta.get("headline")
    if headline is not None and headline not in page.charts:
        raise SiteError(path, "headline", "the id of one of this page's charts: "
                        + (", ".join(page.charts) or "none defined"), headline)
    page.headline = headline or next(iter(page.charts), None)
    return page


# --- page files ---------------------------------------------------------------------------------

_PAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.md$")


def page_files(src: Path) -> list[Path]:
    """The pages of ``src``, sorted. Each name becomes ``<name>.html``, so it must be a plain name
    (``..md`` would become ``..html``), and no two may differ only in case: on a case-insensitive
    file system (macOS, Windows) ``Index.html`` and ``index.html`` are one file."""
    found: dict[str, Path] = {}
    for path in sorted(src.glob("*.md")):
        if not _PAGE_NAME.match(path.name):
            raise SiteError(path, "(file name)", "a page name of letters, digits, '-' and '_' that starts with a "
                            "letter or digit (it becomes <name>.html); rename the file", path.name)
        twin = found.get(path.name.lower())
        if twin is not None:
            raise SiteError(path, "(file name)", f"a name that differs from every other page's in more than case; "
                            f"{twin.name} and {path.name} would be one file on a case-insensitive file system, "
                            "so rename or remove one", path.name)
        found[path.name.lower()] = path
    return list(found.values())
