"""Prose that runs script: what ``build.py --strict`` refuses in ``site_src/``.

Prose is trusted, as in every static site generator: a page's Markdown, raw HTML included,
reaches the reader's browser as written, because the site's authors write it. A site that takes
contributions can run ``build.py --strict`` in CI, which refuses prose whose HTML would run
script: ``<script>`` elements, event-handler attributes (``onerror=``, ``onclick=``…) and
``javascript:`` URLs, however their characters are escaped. The check reads the HTML the
renderer makes from the Markdown, so a Markdown link ``[x](javascript:…)`` counts too.
"""

from __future__ import annotations

from html.parser import HTMLParser

import markdown

from battleground.site.context import Page, SiteError


def markdown_html(text: str) -> str:
    """The renderer's one conversion of Markdown to HTML (pages, answers and every check of them)."""
    return markdown.markdown(text, extensions=["extra", "sane_lists", "toc"], output_format="html")


class _ScriptFinder(HTMLParser):
    """Collects what runs script in HTML: script elements, event-handler attributes (``on…``)
    and ``javascript:`` URLs, each as a short description."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.found.append("a <script> element")
        for name, value in attrs:  # values arrive with character references decoded
            if name.startswith("on"):
                self.found.append(f"an event-handler attribute {name}= on <{tag}>")
            elif value and _scheme(value) == "javascript:":
                self.found.append(f"a javascript: URL in <{tag} {name}=>")

    handle_startendtag = handle_starttag


def _scheme(value: str) -> str:
    # Browsers ignore ASCII whitespace and control characters inside a URL's scheme.
    squeezed = "".join(c for c in value if ord(c) > 0x20 and c != "\x7f").lower()
    return squeezed[: len("javascript:")]


def unsafe_prose(markdown_text: str) -> list[str]:
    """What would run script in the HTML that ``markdown_text`` becomes."""
    finder = _ScriptFinder()
    finder.feed(markdown_html(markdown_text))
    finder.close()
    return finder.found


def check(page: Page) -> None:
    """``--strict``: refuse prose that runs script (see :func:`unsafe_prose`), naming the line."""
    found = unsafe_prose(page.body)
    if not found:
        return
    where = "body"
    for number, line in enumerate(page.body.splitlines(), start=page.body_start):
        if unsafe_prose(line):
            where = f"body line {number}"
            break
    raise SiteError(page.path, where, "prose without script elements, event-handler attributes or javascript: "
                    "URLs (--strict); move scripts into templates/ and static/", found[0])
