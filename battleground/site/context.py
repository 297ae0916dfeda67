"""The site's read context: pages, investigations and their runs, benchmark files, and the one
error type of content the site cannot use.

:mod:`battleground.site.content` builds a :class:`Context` (reading first, writing last); every
element and renderer reads it and nothing else from disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from battleground.core import catalogue, records, splits
from battleground.core.spec import Investigation, Variant


class SiteError(records.FieldError):
    """Content the site cannot use, naming the file, the field and what was expected."""


# --- the context --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which variants a chart or table shows: a family, parameter values, or names."""

    family: str | None = None
    where: tuple[tuple[str, Any], ...] = ()
    variants: tuple[str, ...] = ()

    def matches(self, variant: Variant) -> bool:
        if self.variants:
            return variant.name in self.variants
        if self.family is not None and variant.family != self.family:
            return False
        params = variant.kwargs
        return all(key in params and _same_value(params[key], value) for key, value in self.where)


def _same_value(declared: Any, written: Any) -> bool:
    """Whether a page's ``where`` value names a variant's parameter value. YAML reads ``1e-3`` as
    a string (it wants ``1.0e-3`` for a float), so numbers compare by value, whatever their text."""
    if str(declared) == str(written):
        return True
    if isinstance(written, tuple):  # widths (950, 50): written 950-50 or [950, 50] on a page
        return str(declared) == catalogue.format_value(written) or (
            isinstance(declared, list) and tuple(declared) == written)
    try:
        return not isinstance(declared, bool) and float(declared) == float(written)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Run:
    """One loaded record and the file it came from."""

    path: Path
    record: dict
    variant: Variant


@dataclass(frozen=True)
class Benchmark:
    """One ``battleground bench`` results file of ``runs/benchmarks/``, checked, and its text."""

    path: Path
    results: dict
    text: str  # offered for download as it was committed

    @property
    def filename(self) -> str:
        return f"{records.file_stem(self.path.stem)}.json"


@dataclass
class Page:
    slug: str
    path: Path
    title: str
    summary: str
    order: int
    body: str  # Markdown, placeholders still in place
    body_start: int  # the line number of the body's first line in the file, for messages
    investigation: str | None = None
    headline: str | None = None
    # front-matter field of an element (charts, tables, ...) -> id -> its checked definition,
    # in the order written (see battleground.site.elements)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the kinds of element its prose places ({{ chart: ... }} -> "chart"), found when it is read
    kinds: frozenset[str] = frozenset()

    @property
    def filename(self) -> str:
        return f"{self.slug}.html"

    def defined(self, front_matter: str) -> dict[str, Any]:
        """The entries of one front-matter field of this page, by id (none: empty)."""
        return self.entries.get(front_matter, {})

    @property
    def charts(self) -> dict[str, Any]:  # id -> charts.ChartDef
        return self.defined("charts")

    @property
    def tables(self) -> dict[str, Any]:  # id -> tables.TableDef
        return self.defined("tables")

    @property
    def comparisons(self) -> dict[str, Any]:  # id -> comparison.CompareDef
        return self.defined("comparisons")


@dataclass
class InvestigationData:
    """An investigation's declaration and its runs, with every variant the page can name."""

    spec: Investigation
    runs: list[Run]
    variants: list[Variant]  # declared ones in order, then any others found only in records
    # the split files its runs were validated and tested on (runs/splits/), read with the runs:
    # path -> the images' indices and labels (battleground.core.splits.read)
    split_files: dict[Path, dict[str, list[int]]] = field(default_factory=dict)

    def split_of(self, run: Run) -> dict[str, list[int]] | None:
        """The validation and test images (and their labels) ``run`` was evaluated on, if kept."""
        return self.split_files.get(splits.for_config(run.path.parent.parent, run.record["config"]))


@dataclass
class Context:
    """Everything the renderer needs; nothing is read from disk after this is built."""

    pages: list[Page]  # in navigation order
    investigations: dict[str, InvestigationData]
    defaults: dict[str, str]  # formatted training defaults for prose and the methodology table
    models: dict[str, str]  # class name -> exact source text
    models_path: Path | None
    warnings: list[str]
    benchmarks: list[Benchmark] = field(default_factory=list)  # by file name
    # investigation -> the network zoo's analysis and digit pictures (zoo_page.ZooView), for each
    # investigation whose page places {{ zoo: ... }}
    zoo: dict[str, Any] = field(default_factory=dict)

    def page(self, slug: str) -> Page | None:
        return next((p for p in self.pages if p.slug == slug), None)

    def investigation_pages(self) -> list[Page]:
        return [p for p in self.pages if p.investigation]
