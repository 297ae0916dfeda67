"""A page's outline: every heading of its prose must have something under it.

A heading followed directly by a heading of the same or a higher level (or by the end of the
page) heads an empty section: in the contents and in the page it promises text, a table or a
chart that is not there, and what the reader finds next belongs to the other heading. It happens
when a placeholder moves and its heading stays behind. A plain build warns; ``--strict`` fails.
Only ATX headings (``## Title``) count, as the pages use no other kind; a ``#`` line inside a
fenced code block is not a heading.
"""

from __future__ import annotations

import re

from battleground.site.context import Page, SiteError

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def empty_sections(body: str) -> list[tuple[int, str]]:
    """The empty sections of ``body``: (the heading's line, counted from 0, and its text)."""
    headings: list[tuple[int, int, str]] = []  # (line, level, text)
    content_after: set[int] = set()  # the headings with a line of content before the next heading
    fence = None
    for number, line in enumerate(body.splitlines()):
        opener = _FENCE.match(line)
        if fence is not None:  # inside a code block every line is content
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            content_after.add(len(headings) - 1)
            continue
        heading = _HEADING.match(line)
        if heading:
            headings.append((number, len(heading.group(1)), heading.group(2) or ""))
            continue
        if opener:
            fence = opener.group(1)
        if line.strip():
            content_after.add(len(headings) - 1)
    empty = []
    for index, (number, level, text) in enumerate(headings):
        following = headings[index + 1][1] if index + 1 < len(headings) else 0
        if index not in content_after and following <= level:
            empty.append((number, text))
    return empty


def check(page: Page, strict: bool, warnings: list[str]) -> None:
    """Warn of each empty section of ``page`` by line; ``strict``: the first one fails the build."""
    for number, text in empty_sections(page.body):
        where = f"body line {page.body_start + number}"
        if strict:
            raise SiteError(page.path, where, "a heading with text, a table or a chart under it before the "
                            "next heading of its level (--strict); move the placeholder under it or drop it",
                            text)
        warnings.append(f"{page.path}: {where}: the heading {text!r} has nothing under it")
