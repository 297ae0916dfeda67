"""Render the context into files: pure functions from the context to ``{relative path: text}``.

One Jinja environment, made here, with autoescape on and undefined variables as errors. The
prose of ``site_src/`` is trusted Markdown; everything that comes from front matter or records
reaches the page through autoescaped templates, Plotly-escaped names or :func:`inline_json`.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from battleground.site import findings
from battleground.site.context import Context, Page
from battleground.site.elements import answer, registry
from battleground.site.elements.base import NO_RESULTS, Rendering
from battleground.site.placeholders import BLOCK, INLINE
from battleground.site.prose import markdown_html

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SITE_NAME = "MNIST Battleground"


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


def _token(n: int) -> str:
    return f"BGPLACEHOLDER{n}X"


def render_prose(page: Page, context: Context, render_block, render_expression=None) -> str:
    """The page's Markdown as HTML, each block placeholder replaced by ``render_block(kind, arg)``
    and each findings expression by ``render_expression(sign, text)`` (:mod:`.findings`)."""
    blocks, lines = [], []
    expressions = findings.Tokens()
    for line in page.body.splitlines():
        match = BLOCK.match(line.strip())
        if match:
            lines.extend(["", _token(len(blocks)), ""])
            blocks.append(match.groups())
        else:
            lines.append(expressions.set_aside(INLINE.sub(lambda m: context.defaults[m.group(1)], line)))
    html = markdown_html("\n".join(lines))
    for n, (kind, arg) in enumerate(blocks):
        html = re.sub(rf"<p>{_token(n)}</p>|{_token(n)}", lambda _: render_block(kind, arg), html, count=1)
    return expressions.put_back(html, render_expression) if expressions.found else html


def render_page(env: jinja2.Environment, page: Page, context: Context) -> str:
    """One page's HTML: each placeholder rendered by its registered element."""
    rendering = Rendering(env, page, context)
    known = registry.elements()

    def block(kind: str, arg: str | None) -> str:
        element = known[kind]  # placeholders.check_placeholders has ruled out any other
        rendering.needs.update(element.needs)
        return element.render(rendering, arg)

    content = render_prose(page, context, block, lambda sign, text: answer.page_evidence(rendering).html(sign, text))
    content += "".join(element.aside(page, context) for element in known.values() if element.aside is not None)
    inv = context.investigations.get(page.investigation) if page.investigation else None
    return env.get_template("page.html").render(
        site_name=SITE_NAME, page=page, nav=context.pages, content=content,
        has_charts="charts" in rendering.needs, has_tables="tables" in rendering.needs,
        scripts=sorted(need for need in rendering.needs if need.endswith(".js")),
        no_runs=inv is not None and not inv.runs, no_results=NO_RESULTS,
        investigation=inv,
    )


def render_site(context: Context, env: jinja2.Environment | None = None) -> dict[str, str | bytes]:
    """Every page and data file of the site, by relative path; assets are copied separately."""
    env = env or environment()
    files: dict[str, str | bytes] = {}
    for page in context.pages:
        files[page.filename] = render_page(env, page, context)
        for element in registry.elements().values():
            if element.files is not None:
                files.update(element.files(page, context))
    return files
