"""Read everything the site shows into one validated context: pages, investigations, runs, models.

The build reads first and writes last (pelican's habit): every problem in ``site_src/``, ``runs/``
or ``battleground/train/models.py`` is found here, as a :class:`SiteError` that names the file, the
field and what was expected, before a single output file is written. The reading itself is
split by job: pages and their front matter (:mod:`.frontmatter`), runs and benchmark files
(:mod:`.runs`), placeholders (:mod:`.placeholders`), and the elements they place (:mod:`.elements`).
"""

from __future__ import annotations

from pathlib import Path

from battleground.core import files, records
from battleground.core.spec import Investigation
from battleground.site import frontmatter, placeholders, runs, training_defaults
from battleground.site.context import Context, SiteError
from battleground.site.elements import model


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
    data = {name: runs.load_investigation(spec, runs_dir, warnings) for name, spec in investigations.items()}
    if runs_dir.is_dir():
        for folder in sorted(p for p in runs_dir.iterdir()
                             if p.is_dir() and p.name not in data and p.name not in records.RESERVED_FOLDERS):
            warnings.append(f"{folder}: runs of an investigation not declared in experiments/; ignored")
    pages = sorted((frontmatter.read_page(p, data) for p in frontmatter.page_files(src)), key=lambda p: (p.order, p.slug))
    if not any(p.slug == "index" for p in pages):
        raise SiteError(src / "index.md", "(file)", "a home page, index.md")
    pages.sort(key=lambda p: (p.slug != "index", p.order, p.slug))
    uses_models = any("model" in placeholders.kinds_used(p) for p in pages)
    models = model.model_sources(models_path) if (uses_models and models_path is not None) else {}
    context = Context(pages, data, training_defaults.formatted_defaults(), models, models_path if models else None, warnings,
                      runs.load_benchmarks(runs_dir))
    with_page = set()
    for page in pages:
        placeholders.check_placeholders(page, context)
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
