"""Render the context into files: pure functions from the context to ``{relative path: text}``.

One Jinja environment, made here, with autoescape on and undefined variables as errors. The
prose of ``site_src/`` is trusted Markdown; everything that comes from front matter or records
reaches the page through autoescaped templates, Plotly-escaped names or :func:`inline_json`.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import markdown

from battleground.site import charts, comparison, downloads, performance, runs_summary, tables, zoo_page
from battleground.site import content
from battleground.site.content import BLOCK, DEFAULT_ROWS, INLINE, Context, Page

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SITE_NAME = "MNIST Battleground"
NO_RESULTS = "No results yet"
NO_BENCHMARKS = "No benchmark results yet"


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    """The one Jinja environment of the build."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def data_path(investigation: str, name: str) -> str:
    return f"data/{investigation}/{name}"


def markdown_html(text: str) -> str:
    return markdown.markdown(text, extensions=["extra", "sane_lists", "toc"], output_format="html")


def _token(n: int) -> str:
    return f"BGPLACEHOLDER{n}X"


def render_prose(page: Page, context: Context, render_block) -> str:
    """The page's Markdown as HTML, each block placeholder replaced by ``render_block(kind, arg)``."""
    blocks, lines = [], []
    for line in page.body.splitlines():
        match = BLOCK.match(line.strip())
        if match:
            lines.extend(["", _token(len(blocks)), ""])
            blocks.append(match.groups())
        else:
            lines.append(INLINE.sub(lambda m: context.defaults[m.group(1)], line))
    html = markdown_html("\n".join(lines))
    for n, (kind, arg) in enumerate(blocks):
        html = re.sub(rf"<p>{_token(n)}</p>|{_token(n)}", lambda _: render_block(kind, arg), html, count=1)
    return html


def chart_dom_id(page: Page, chart_id: str) -> str:
    return f"chart-{page.slug}-{chart_id}"


def render_chart(env, page: Page, chart_id: str, context: Context, points: int, small: bool = False) -> str:
    chart = page.charts[chart_id]
    inv = context.investigations[page.investigation]
    dom_id = chart_dom_id(page, chart_id) + ("-headline" if small else "")
    spec = charts.chart_spec(chart, inv, dom_id, points, first_view_only=small)
    series_index = {series["variant"]: i for i, series in enumerate(spec["series"])}
    return env.get_template("chart.html").render(
        chart=chart, spec=spec, data_json=charts.inline_json(spec), dom_id=dom_id, small=small,
        downloads=[] if small else downloads.chart_links(chart, inv, series_index),
        no_results=NO_RESULTS,
    )


def render_table(env, page: Page, table_id: str, context: Context) -> str:
    table = page.tables[table_id]
    view = tables.table_view(table, context.investigations[page.investigation])
    return env.get_template("table.html").render(
        table=view, csv_href=data_path(page.investigation, f"{table_id}.csv"), no_results=NO_RESULTS)


def render_page(env: jinja2.Environment, page: Page, context: Context) -> str:
    """One page's HTML."""
    used = {"charts": False, "tables": False}
    compared = (comparison.page_rows(list(page.comparisons.values()), context.investigations[page.investigation])
                if page.comparisons else {})

    def block(kind: str, arg: str | None) -> str:
        if kind == "chart":
            used["charts"] = True
            return render_chart(env, page, arg, context, charts.PAGE_POINTS)
        if kind == "table":
            used["tables"] = True
            return render_table(env, page, arg, context)
        if kind == "compare":
            used["tables"] = True  # sortable like the results tables
            return env.get_template("compare.html").render(
                table=comparison.view(page.comparisons[arg], compared[arg]), no_results=NO_RESULTS)
        if kind == "model":
            return env.get_template("model.html").render(
                name=arg, source=context.models[arg], path="battleground/train/models.py")
        if kind == "defaults":
            rows = [(label, context.defaults[key]) for key, label in DEFAULT_ROWS]
            return env.get_template("defaults.html").render(rows=rows)
        if kind == "investigations":
            cards = []
            for other in context.investigation_pages():
                inv = context.investigations[other.investigation]
                headline = ""
                if other.headline:
                    used["charts"] = True
                    headline = render_chart(env, other, other.headline, context, charts.HEADLINE_POINTS, small=True)
                cards.append({"page": other, "runs": len(inv.runs),
                              "expected": inv.spec.run_count, "headline": headline})
            return env.get_template("investigations.html").render(cards=cards, no_results=NO_RESULTS)
        if kind == zoo_page.KIND:
            used["charts"] = True  # Plotly draws the zoo's charts too
            script = "" if used.get("zoo") else '<script src="static/js/zoo.js" defer></script>\n'
            used["zoo"] = True
            return script + zoo_page.render(env, arg, context.investigations[page.investigation], context.data_dir)
        if kind == "runs_summary":
            return env.get_template("runs_summary.html").render(
                sentences=runs_summary.sentences(context),
                rows=runs_summary.rows(context))
        if kind == "benchmarks":
            devices = [performance.benchmark_view(b) for b in context.benchmarks]
            return env.get_template("benchmarks.html").render(devices=devices, no_results=NO_BENCHMARKS)
        raise AssertionError(kind)  # content.check_placeholders has ruled this out

    content = render_prose(page, context, block)
    inv = context.investigations.get(page.investigation) if page.investigation else None
    return env.get_template("page.html").render(
        site_name=SITE_NAME, page=page, nav=context.pages, content=content,
        has_charts=used["charts"], has_tables=used["tables"],
        no_runs=inv is not None and not inv.runs, no_results=NO_RESULTS,
        investigation=inv,
    )


def render_site(context: Context, env: jinja2.Environment | None = None) -> dict[str, str | bytes]:
    """Every page and data file of the site, by relative path; assets are copied separately."""
    env = env or environment()
    files: dict[str, str] = {}
    for page in context.pages:
        files[page.filename] = render_page(env, page, context)
        if page.investigation:
            inv = context.investigations[page.investigation]
            files.update(downloads.files(page.charts.values(), inv))
            for table in page.tables.values():
                files[data_path(page.investigation, f"{table.id}.csv")] = tables.table_csv(table, inv)
            if any(kind == zoo_page.KIND for _, kind, _ in content.placeholders(page)):
                files.update(zoo_page.files(inv, context.data_dir))
    if any(kind == "benchmarks" for page in context.pages for _, kind, _ in content.placeholders(page)):
        files.update(performance.download_files(context.benchmarks))
    return files
