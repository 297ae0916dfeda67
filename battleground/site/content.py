"""Read everything the site shows into one validated context: pages, investigations, runs, models.

The build reads first and writes last (pelican's habit): every problem in ``site_src/``, ``runs/``
or ``battleground/train/models.py`` is found here, as a :class:`SiteError` that names the file, the
field and what was expected, before a single output file is written.

A page is ``site_src/<slug>.md``: YAML front matter between ``---`` lines, then Markdown. Block
placeholders stand alone on a line, ``{{ chart: <id> }}``, ``{{ table: <id> }}``,
``{{ model: <Class> }}``, ``{{ defaults }}``, ``{{ investigations }}``, ``{{ benchmarks }}``
(the ``battleground bench`` results in ``runs/benchmarks/``) or ``{{ runs_summary }}`` (the budget,
hardware and code of the recorded runs); inline placeholders
``{{ config.<name> }}`` put a training default (from :mod:`battleground.core.config`) into the prose.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from battleground.core import benchmarks, catalogue, files, records
from battleground.core.config import DEFAULTS, SEEDS, SETTINGS, format_budget
from battleground.core.spec import Investigation, Variant
from battleground.site import zoo_page

AXES_X = ("flops", "epochs", "seconds")
AXES_Y = ("linear", "nines")
FLOPS_METHODS = ("profiler", "complete")
MNIST_TRAIN_IMAGES = 60_000  # a fact of the data set, not a setting
FLOPS_METHOD = ("one training step (forward, backward, optimizer step) profiled with "
                "torch.profiler (with_flops=True), times steps per epoch")


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
class ChartDef:
    id: str
    title: str
    selection: Selection
    x: str = "flops"
    y: str = "linear"
    seed: int | str = SEEDS[0]  # a seed, or "all" for the min–max band across seeds
    flops: str = "profiler"
    caption: str = ""
    # Model parameters to facet by: one view per value, picked with a selector, so one definition
    # draws e.g. "one chart per depth" and "one chart per activation" from data embedded once.
    facet: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableDef:
    id: str
    title: str
    selection: Selection
    seed: int | str = "all"


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
    charts: dict[str, ChartDef] = field(default_factory=dict)
    tables: dict[str, TableDef] = field(default_factory=dict)
    comparisons: dict[str, Any] = field(default_factory=dict)  # id -> comparison.CompareDef

    @property
    def filename(self) -> str:
        return f"{self.slug}.html"


@dataclass
class InvestigationData:
    """An investigation's declaration and its runs, with every variant the page can name."""

    spec: Investigation
    runs: list[Run]
    variants: list[Variant]  # declared ones in order, then any others found only in records


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
    data_dir: Path | None = None  # the IDX files the network zoo's digit pictures are cut from, if any

    def page(self, slug: str) -> Page | None:
        return next((p for p in self.pages if p.slug == slug), None)

    def investigation_pages(self) -> list[Page]:
        return [p for p in self.pages if p.investigation]


# --- training defaults, as the pages state them -------------------------------------------------


def _count(n: int) -> str:
    return f"{n:,}"


def formatted_defaults() -> dict[str, str]:
    """The methodology's numbers, formatted, all from :data:`battleground.core.config.DEFAULTS`."""
    d = DEFAULTS
    return {
        "dataset": {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(d.dataset, d.dataset),
        "batch_size": str(d.batch_size),
        "problem": f"{d.problem}: {catalogue.PROBLEMS[d.problem].what}",
        "optimizer": d.optimizer,
        "lr": format(d.lr, "g"),
        "momentum": format(d.momentum, "g"),
        "weight_decay": "the optimizer's default" if d.weight_decay is None else format(d.weight_decay, "g"),
        "schedule": f"{d.schedule}: {catalogue.SCHEDULES[d.schedule]}",
        "init": catalogue.INITS[d.init] + ("; biases zero" if d.zero_bias else ""),
        "loss": d.loss.replace("_", "-"),
        "budget": format_budget(d.budget_s),
        "budget_s": _count(int(d.budget_s)) if float(d.budget_s).is_integer() else str(d.budget_s),
        "val_size": _count(d.val_size),
        "test_size": _count(d.test_size),
        "eval_size": _count(d.val_size + d.test_size),
        "val_split_seed": str(d.val_split_seed),
        "seed": str(SEEDS[0]),
        "seeds": ", ".join(str(s) for s in SEEDS),
        "train_size": _count(MNIST_TRAIN_IMAGES if d.train_size is None else d.train_size),
        "steps_per_epoch": _count(-(-(MNIST_TRAIN_IMAGES if d.train_size is None else d.train_size) // d.batch_size)),
        "flops_method": FLOPS_METHOD,
    }


DEFAULT_ROWS = (
    # (key in formatted_defaults, what it is) for the methodology table, in reading order
    ("dataset", "data set"),
    ("problem", "problem"),
    ("train_size", "training images used"),
    ("val_size", "validation images (accuracy axes)"),
    ("test_size", "held-out test images"),
    ("val_split_seed", "seed of the validation / test split"),
    ("batch_size", "batch size"),
    ("steps_per_epoch", "training steps per epoch"),
    ("optimizer", "optimizer (PyTorch defaults besides the learning rate)"),
    ("lr", "learning rate"),
    ("schedule", "learning-rate schedule"),
    ("init", "weight initialisation"),
    ("loss", "loss"),
    ("seeds", "seeds (the first is the default; all three draw the seed bands)"),
    ("budget", "wall-clock training budget per run"),
    ("flops_method", "training FLOPs"),
)


# --- front matter -------------------------------------------------------------------------------

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*\n?", re.S)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# field -> (type check, what is expected, required)
_PAGE_FIELDS: dict[str, tuple[Any, str, bool]] = {
    "title": (str, "a string", True),
    "summary": (str, "a string", True),
    "order": (int, "a whole number", True),
    "investigation": (str, "the name of an investigation in experiments/", False),
    "headline": (str, "the id of one of this page's charts", False),
    "charts": (list, "a list of charts", False),
    "tables": (list, "a list of tables", False),
    "comparisons": (list, "a list of comparisons", False),
}
_CHART_FIELDS = {
    "id": (str, "an id of lower-case letters, digits and '-'", True),
    "title": (str, "a string", True),
    "caption": (str, "a string", False),
    "family": (str, "a model family", False),
    "where": (dict, "a mapping of model parameters to values", False),
    "variants": (list, "a list of variant names", False),
    "x": (str, "one of " + ", ".join(AXES_X), False),
    "y": (str, "one of " + ", ".join(AXES_Y), False),
    "seed": ((int, str), "a seed of the investigation or 'all'", False),
    "flops": (str, "one of " + ", ".join(FLOPS_METHODS), False),
    "facet": ((str, list), "a model parameter, or a list of them, to show one value at a time", False),
}
TABLE_FIELDS = {
    "id": _CHART_FIELDS["id"],
    "title": (str, "a string", False),
    "family": _CHART_FIELDS["family"],
    "where": _CHART_FIELDS["where"],
    "variants": _CHART_FIELDS["variants"],
    "seed": _CHART_FIELDS["seed"],
}


def split_front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    """(front matter, body, the body's first line number) of a page's text."""
    match = _FRONT.match(text)
    if not match:
        raise SiteError(path, "(front matter)", "YAML front matter between two '---' lines at the top")
    try:
        meta = yaml.safe_load(match.group(1) or "")
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


def _check_fields(data: dict, spec: dict, path: Path, prefix: str) -> None:
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


def _selection(item: dict, inv: InvestigationData, path: Path, prefix: str) -> Selection:
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


def _seed(item: dict, inv: InvestigationData, path: Path, prefix: str, default: int | str) -> int | str:
    seed = item.get("seed", default)
    if seed != "all" and seed not in inv.spec.seeds:
        raise SiteError(path, prefix + "seed", "one of the investigation's seeds "
                        + ", ".join(map(str, inv.spec.seeds)) + " or 'all'", seed)
    return seed


def _facet(item: dict, selection: Selection, inv: InvestigationData, path: Path, prefix: str) -> tuple[str, ...]:
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


def _enum(item: dict, name: str, allowed: tuple[str, ...], path: Path, prefix: str) -> str:
    value = item.get(name, allowed[0])
    if value not in allowed:
        raise SiteError(path, prefix + name, "one of " + ", ".join(allowed), value)
    return value


def _items(meta: dict, key: str, spec: dict, path: Path) -> list[tuple[dict, str]]:
    out, seen = [], set()
    for i, item in enumerate(meta.get(key) or []):
        prefix = f"{key}[{i}]."
        if not isinstance(item, dict):
            raise SiteError(path, f"{key}[{i}]", "a mapping with at least an id", item)
        _check_fields(item, spec, path, prefix)
        if not _ID.match(item["id"]):
            raise SiteError(path, prefix + "id", spec["id"][1], item["id"])
        if item["id"] in seen:
            raise SiteError(path, prefix + "id", "an id not used by another entry of " + key, item["id"])
        seen.add(item["id"])
        out.append((item, prefix))
    return out


def _read_utf8(path: Path, what: str, advice: str, expected: str) -> str:
    """The text of a regular file (:func:`files.read_regular_bytes`), or a :class:`SiteError`."""
    try:
        return files.read_regular_bytes(path, SiteError, what, advice).decode("utf-8")
    except UnicodeDecodeError:
        raise SiteError(path, "(file)", expected) from None


def read_page(path: Path, investigations: dict[str, InvestigationData]) -> Page:
    """One page of ``site_src/``, its front matter validated against the investigations."""
    text = _read_utf8(path, "a Markdown page", "move it out of the pages folder or put the page in its place",
                      "UTF-8 text")
    meta, body, body_start = split_front_matter(text, path)
    _check_fields(meta, _PAGE_FIELDS, path, "")
    page = Page(path.stem, path, meta["title"], meta["summary"], meta["order"], body, body_start)
    name = meta.get("investigation")
    if name is None:
        for key in ("charts", "tables", "comparisons", "headline"):
            if meta.get(key) is not None:
                raise SiteError(path, key, "no charts, tables, comparisons or headline on a page without "
                                "'investigation'")
        return page
    if name not in investigations:
        raise SiteError(path, "investigation", "an investigation in experiments/: "
                        + (", ".join(investigations) or "none"), name)
    inv = investigations[name]
    page.investigation = name
    for item, prefix in _items(meta, "charts", _CHART_FIELDS, path):
        selection = _selection(item, inv, path, prefix)
        page.charts[item["id"]] = ChartDef(
            id=item["id"], title=item["title"], caption=item.get("caption") or "",
            selection=selection, facet=_facet(item, selection, inv, path, prefix),
            x=_enum(item, "x", AXES_X, path, prefix), y=_enum(item, "y", AXES_Y, path, prefix),
            seed=_seed(item, inv, path, prefix, inv.spec.seeds[0]),
            flops=_enum(item, "flops", FLOPS_METHODS, path, prefix),
        )
    for item, prefix in _items(meta, "tables", TABLE_FIELDS, path):
        page.tables[item["id"]] = TableDef(
            id=item["id"], title=item.get("title") or "", selection=_selection(item, inv, path, prefix),
            seed=_seed(item, inv, path, prefix, "all"),
        )
    from battleground.site import comparison  # it builds on this module's selections and errors

    for item, prefix in _items(meta, "comparisons", comparison.FIELDS, path):
        page.comparisons[item["id"]] = comparison.define(item, inv, path, prefix, _selection(item, inv, path, prefix))
    for table_id in page.tables:
        if table_id in page.charts:
            raise SiteError(path, "tables", "table ids that no chart uses (each names a download file)", table_id)
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


# --- placeholders -------------------------------------------------------------------------------

BLOCK = re.compile(r"^\{\{\s*([a-z_]+)\s*(?::\s*([^\s{}]+)\s*)?\}\}\s*$")
INLINE = re.compile(r"\{\{\s*config\.([a-z_]+)\s*\}\}")
BLOCK_KINDS = ("chart", "table", "compare", "model", "defaults", "investigations", "benchmarks", "runs_summary",
               zoo_page.KIND)
DEFINED_IN_FRONT_MATTER = {"chart": "charts", "table": "tables", "compare": "comparisons"}  # kind -> field
SITE_WIDE_KINDS = ("defaults", "investigations", "benchmarks", "runs_summary")  # not on an investigation's page


def placeholders(page: Page) -> list[tuple[int, str, str | None]]:
    """(line number, kind, argument) of each block placeholder; checks every ``{{ … }}``."""
    found = []
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        match = BLOCK.match(line.strip())
        where = f"body line {number}"
        if match:
            kind, arg = match.groups()
            if kind not in BLOCK_KINDS:
                raise SiteError(page.path, where, "a placeholder of kind " + ", ".join(BLOCK_KINDS), line.strip())
            needs_arg = kind in (*DEFINED_IN_FRONT_MATTER, "model", zoo_page.KIND)
            if needs_arg != (arg is not None):
                shape = f"{{{{ {kind}: <id> }}}}" if needs_arg else f"{{{{ {kind} }}}}"
                raise SiteError(page.path, where, f"the placeholder written as {shape}", line.strip())
            found.append((number, kind, arg))
            continue
        rest = INLINE.sub("", line)
        if "{{" in rest or "}}" in rest:
            raise SiteError(page.path, where, "a placeholder alone on its line ({{ chart: <id> }}, "
                            "{{ table: <id> }}, …) or inline {{ config.<name> }}", line.strip())
    return found


def check_placeholders(page: Page, context: Context) -> None:
    """Every placeholder of ``page`` names something that exists, where it may be used."""
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        for name in INLINE.findall(line):
            if name not in context.defaults:
                raise SiteError(page.path, f"body line {number}", "{{ config.<name> }} with a name among "
                                + ", ".join(sorted(context.defaults)), f"config.{name}")
    used: dict[str, set[str]] = {kind: set() for kind in DEFINED_IN_FRONT_MATTER}
    for number, kind, arg in placeholders(page):
        where = f"body line {number}"
        if kind in DEFINED_IN_FRONT_MATTER:
            defined = getattr(page, DEFINED_IN_FRONT_MATTER[kind])
            if arg not in defined:
                raise SiteError(page.path, where, f"a {kind} defined in the front matter's "
                                f"'{DEFINED_IN_FRONT_MATTER[kind]}': " + (", ".join(defined) or "none defined"),
                                f"{kind}: {arg}")
            used[kind].add(arg)
        elif kind == "model":
            if context.models_path is None or not context.models:
                raise SiteError(page.path, where, "battleground/train/models.py to exist (the model source is "
                                "read from it at build time; it comes with the torch side)", f"model: {arg}")
            if arg not in context.models:
                raise SiteError(page.path, where, f"a class defined in {context.models_path}: "
                                + ", ".join(context.models), f"model: {arg}")
        elif kind == zoo_page.KIND:
            expected = zoo_page.check_part(arg)
            if expected is None and not page.investigation:
                expected = "an investigation page (front matter 'investigation: network-zoo')"
            if expected is not None:
                raise SiteError(page.path, where, expected, f"{kind}: {arg}")
        elif page.investigation and kind in SITE_WIDE_KINDS:
            raise SiteError(page.path, where, f"no {{{{ {kind} }}}} on an investigation page")
    for kind, field_name in DEFINED_IN_FRONT_MATTER.items():
        for unused in sorted(set(getattr(page, field_name)) - used[kind]):
            context.warnings.append(f"{page.path}: {kind} '{unused}' is defined but no {{{{ {kind}: {unused} }}}} places it")


# --- models -------------------------------------------------------------------------------------


def model_sources(path: Path) -> dict[str, str]:
    """Each top-level class of ``path`` and its exact source text, read with ``ast``, never imported."""
    if not os.path.lexists(path):
        raise SiteError(path, "(file)", "the model definitions (the models page shows each class's "
                        "source); it comes with the torch side, or pass --models PATH")
    text = _read_utf8(path, "the model definitions (Python source)",
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


# --- runs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedVariant(Variant):
    """A variant known only from a record: its name is the record's, whatever its parameters."""

    recorded_name: str = ""

    @property
    def name(self) -> str:
        return self.recorded_name


_NAMED_KEY = re.compile(r"[\[,](\w+)=")  # the keys in a variant name: SimpleNet2[depth=0,lr=0.01]


def _record_variant(record: dict) -> Variant:
    """The variant of a record its investigation does not declare: the model's parameters, and
    the training settings its name sets (``lr=0.01``) with the values of its config, so charts
    label and facet it by them as they do a declared variant."""
    params = dict(record["model"]["params"])
    named = set(_NAMED_KEY.findall(record["variant"]))
    params.update((key, record["config"][key]) for key in SETTINGS if key in named and key in record["config"])
    return RecordedVariant(record["model"]["family"], tuple(sorted(params.items())), record["variant"])


def load_investigation(spec: Investigation, runs_dir: Path, warnings: list[str]) -> InvestigationData:
    """An investigation's records, checked against its declaration (folder, names, duplicates)."""
    runs: list[Run] = []
    seen: dict[tuple[str, int], Path] = {}
    declared = {v.name: v for v in spec.variants}
    extra: dict[str, Variant] = {}
    files.folder_or_none(runs_dir / spec.name, SiteError, f"a folder of the run records of '{spec.name}'")
    for path in records.record_files(runs_dir, spec.name):
        record = records.load_record(path)
        if record["investigation"] != spec.name:
            raise SiteError(path, "investigation", f"'{spec.name}' (the folder the record is in)",
                            record["investigation"])
        name = record["variant"]
        variant = declared.get(name) or _record_variant(record)
        key = (name, record["seed"])
        if key in seen:
            raise SiteError(path, "variant", f"one record per (variant, seed); {seen[key]} has the same", key)
        seen[key] = path
        if name not in declared and name not in extra:
            extra[name] = variant
            warnings.append(f"{path}: variant {name!r} is not declared in the investigation's experiments module")
        if record["seed"] not in (spec.seeds_of(variant) if name in declared else spec.seeds):
            warnings.append(f"{path}: seed {record['seed']} is not one of the investigation's seeds")
        runs.append(Run(path, record, variant))
    variants = list(spec.variants) + [extra[n] for n in sorted(extra)]
    return InvestigationData(spec, runs, variants)


# --- benchmarks ---------------------------------------------------------------------------------


def load_benchmarks(runs_dir: Path) -> list[Benchmark]:
    """Every results file of ``runs/benchmarks/``; a bad one is a ``BenchmarkError``."""
    out, seen = [], {}
    files.folder_or_none(runs_dir / records.BENCHMARKS_FOLDER, SiteError, "a folder of benchmark results files")
    for path in benchmarks.results_files(runs_dir):
        text = records.read_text(path, benchmarks.BenchmarkError)
        bench = Benchmark(path, benchmarks.parse_results(text, path), text)
        if bench.filename in seen:  # two names that differ only in characters a URL cannot keep
            raise SiteError(path, "(file name)", f"a name of letters, digits, '.' and '-' unlike "
                            f"{seen[bench.filename].name}'s (both would be data/benchmarks/{bench.filename})")
        seen[bench.filename] = path
        out.append(bench)
    return out


# --- the whole context --------------------------------------------------------------------------


def read_context(
    src: Path,
    runs_dir: Path,
    investigations: dict[str, Investigation],
    models_path: Path | None,
    strict: bool = False,
) -> Context:
    """Read and validate the whole site; raises a ``records.FieldError``: :class:`SiteError`,
    ``records.RecordError`` or ``benchmarks.BenchmarkError``."""
    src, runs_dir = Path(src), Path(runs_dir)
    if files.folder_or_none(src, SiteError, "a folder of Markdown pages (site_src/)") is None:
        raise SiteError(src, "(folder)", "a folder of Markdown pages (site_src/)")
    files.folder_or_none(runs_dir, SiteError, "a folder of run records (runs/)")
    warnings: list[str] = []
    data = {name: load_investigation(spec, runs_dir, warnings) for name, spec in investigations.items()}
    if runs_dir.is_dir():
        for folder in sorted(p for p in runs_dir.iterdir()
                             if p.is_dir() and p.name not in data and p.name not in records.RESERVED_FOLDERS):
            warnings.append(f"{folder}: runs of an investigation not declared in experiments/; ignored")
    pages = sorted((read_page(p, data) for p in page_files(src)), key=lambda p: (p.order, p.slug))
    if not any(p.slug == "index" for p in pages):
        raise SiteError(src / "index.md", "(file)", "a home page, index.md")
    pages.sort(key=lambda p: (p.slug != "index", p.order, p.slug))
    uses_models = any(kind == "model" for p in pages for _, kind, _ in placeholders(p))
    models = model_sources(models_path) if (uses_models and models_path is not None) else {}
    context = Context(pages, data, formatted_defaults(), models, models_path if models else None, warnings,
                      load_benchmarks(runs_dir))
    with_page = set()
    for page in pages:
        check_placeholders(page, context)
        if page.investigation:
            if page.investigation in with_page:
                raise SiteError(page.path, "investigation", "an investigation no other page writes up",
                                page.investigation)
            with_page.add(page.investigation)
            if not data[page.investigation].runs:
                message = (f"{page.path}: investigation '{page.investigation}' has no runs in "
                           f"{runs_dir / page.investigation}; its page says 'no results yet'")
                if strict:
                    raise SiteError(page.path, "investigation", f"an investigation with runs (--strict); "
                                    f"{runs_dir / page.investigation} holds no records", page.investigation)
                warnings.append(message)
    if strict:  # prose is trusted; --strict refuses prose that runs script, for sites that take contributions
        from battleground.site import prose

        for page in pages:
            prose.check(page)
    for name in data:
        if name not in with_page:
            warnings.append(f"investigation '{name}' has no page in {src} ({name}.md)")
    return context
