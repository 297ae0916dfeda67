"""``{{ answer }}``: the page's answer, first on the page: the findings of its front matter's
``answer`` list, each one sentence whose numbers come from the runs (:mod:`battleground.site.findings`),
and under them the scale they rest on: runs, epochs, training images, device
(:func:`battleground.site.runs_summary.scale`).

A finding is ``{id, say, check}``: ``say`` is the sentence, with ``{{ = … }}`` where a number or a
verdict belongs; ``check`` is a claim (or a list of them) the sentence makes, checked against the
runs at every build. The placeholder must open the page's prose: the answer comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from battleground.site import findings, frontmatter, runs_summary, tables
from battleground.site.context import Context, InvestigationData, Page, SiteError
from battleground.site.prose import markdown_html  # the renderer's own conversion
from battleground.site.elements.base import Element, Rendering

FRONT_MATTER = findings.ANSWER
FIELDS = {
    "id": frontmatter.ID_FIELD,
    "say": (str, "one sentence, its numbers written as {{ = … }} expressions", True),
    "check": ((str, list), "a claim of the findings grammar, or a list of them", False),
}
FINDINGS = (3, 6)  # an answer is a few findings: enough to answer, few enough to read at a glance


@dataclass(frozen=True)
class Finding:
    id: str
    say: str
    checks: tuple[str, ...]


def define(item: dict, inv: InvestigationData, path: Path, prefix: str) -> Finding:
    checks = item.get("check") or []
    checks = [checks] if isinstance(checks, str) else checks
    for i, claim in enumerate(checks):
        if not isinstance(claim, str) or not claim.strip():
            raise SiteError(path, f"{prefix}check[{i}]", "a claim of the findings grammar", claim)
    return Finding(item["id"], item["say"].strip(), tuple(c.strip() for c in checks))


def check_page(page: Page) -> None:
    found = page.defined(FRONT_MATTER)
    low, high = FINDINGS
    if found and not low <= len(found) <= high:
        raise SiteError(page.path, FRONT_MATTER, f"an answer of {low} to {high} findings", f"{len(found)} findings")


def check_use(_: str | None, page: Page, context: Context, where: str) -> None:
    if not page.defined(FRONT_MATTER):
        raise SiteError(page.path, where, f"an '{FRONT_MATTER}' list of findings in the front matter for "
                        "{{ answer }} to place")
    first = next((n for n, line in enumerate(page.body.splitlines(), start=page.body_start) if line.strip()), None)
    if where != f"body line {first}":
        raise SiteError(page.path, where, "{{ answer }} on the prose's first line: a page opens with its answer")


def row_link(page: Page):
    """Where a number links to: its variant's row of the page's first results table, or the
    table when it summarises several variants; None on a page without a table."""
    table_id = next(iter(page.tables), None)

    def link(variant: str | None) -> str | None:
        if table_id is None:
            return None
        return "#" + (tables.row_anchor(table_id, variant) if variant else f"table-{table_id}")

    return link


def page_evidence(r: Rendering) -> findings.PageEvidence:
    """The page's one renderer of numbers (its note ids count across the answer and the prose)."""
    if "evidence" not in r.cache:
        r.cache["evidence"] = findings.PageEvidence(r.page, r.investigation, row_link(r.page))
        r.needs.add("evidence.js")  # unfolds the results table where a number links past its fold
    return r.cache["evidence"]


def sentence_html(r: Rendering, text: str) -> str:
    """A sentence of Markdown, its expressions rendered as marked numbers."""
    tokens = findings.Tokens()
    html = markdown_html(tokens.set_aside(text)).strip()
    html = html.removeprefix("<p>").removesuffix("</p>")
    return tokens.put_back(html, page_evidence(r).html)


def render(r: Rendering, _: str | None) -> str:
    items = [{"id": f.id, "html": sentence_html(r, f.say)} for f in r.page.defined(FRONT_MATTER).values()]
    # the scale of the records the findings choose from: a reader sees how far they reach
    return r.template("answer.html").render(findings=items, scale=runs_summary.scale(r.investigation))


ELEMENT = Element(kind="answer", render=render, front_matter=FRONT_MATTER, fields=FIELDS, define=define,
                  entries_are="findings", check_page=check_page, check_use=check_use, places_all=True)
