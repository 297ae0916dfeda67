"""How many of a page's prose numbers the build computed: what ``build.py --strict`` reports.

Numbers typed by hand drift as runs are added; a ``{{ = … }}`` expression (:mod:`.findings`) does
not. This module counts, in the sentences of a page (paragraphs and list items; not headings,
tables, charts, figures or code), the numbers that expressions generate and those typed by hand,
so ``--strict`` can list the hand-typed ones and hold a page that has an answer to
:data:`TARGET`. A training default put in by ``{{ config.<name> }}`` is generated too (it comes
from the code, not a hand). A number inside a word (``LeNet5``, ``SimpleNet2``) is a name, not a
number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from battleground.site.context import Page
from battleground.site.findings import ANSWER  # the answer's findings are sentences too
from battleground.site.placeholders import BLOCK, EXPRESSION, INLINE
from battleground.site.prose import markdown_html  # the renderer's own conversion

TARGET = 0.9  # the share of a page's prose numbers that must be generated
_GENERATED = "BGGENERATEDNUMBER"
NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?%?(?![\w])")
_PROSE = {"p", "li"}
_NOT_PROSE = {"table", "pre", "code", "figure", "svg", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass
class Count:
    generated: int = 0
    typed: list[tuple[str, str]] = field(default_factory=list)  # (number, its sentence)

    @property
    def total(self) -> int:
        return self.generated + len(self.typed)

    @property
    def share(self) -> float:
        """The share generated; 1 for prose without numbers."""
        return self.generated / self.total if self.total else 1.0


class _Counter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.count = Count()
        self.prose = 0  # depth inside p / li
        self.excluded = 0  # depth inside a table, code, heading...
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _NOT_PROSE:
            self.excluded += 1
        elif tag in _PROSE:
            self._flush()
            self.prose += 1

    def handle_endtag(self, tag):
        if tag in _NOT_PROSE:
            self.excluded = max(0, self.excluded - 1)
        elif tag in _PROSE:
            self._flush()
            self.prose = max(0, self.prose - 1)

    def handle_data(self, data):
        if self.prose and not self.excluded:
            self.text.append(data)

    def _flush(self):
        sentence = " ".join("".join(self.text).split())
        self.text = []
        self.count.generated += sentence.count(_GENERATED)
        shown = sentence.replace(_GENERATED, "…")
        for match in NUMBER.finditer(sentence.replace(_GENERATED, " ")):
            self.count.typed.append((match.group(0), shown[:120]))

    def close(self):
        super().close()
        self._flush()


def count(page: Page) -> Count:
    """The generated and hand-typed numbers of ``page``'s prose and answer."""
    answer = [f"- {finding.say}" for finding in page.defined(ANSWER).values()]
    lines = []
    for line in answer + [""] + page.body.splitlines():
        if BLOCK.match(line.strip()):
            continue
        line = INLINE.sub(_GENERATED, line)
        lines.append(EXPRESSION.sub(lambda m: _GENERATED if m.group(1) == "=" else "", line))
    counter = _Counter()
    counter.feed(markdown_html("\n".join(lines)))
    counter.close()
    return counter.count


def report(page: Page) -> tuple[Count, list[str]]:
    """``page``'s count and the lines ``--strict`` prints for it: the share, then each hand-typed
    number with its sentence."""
    found = count(page)
    lines = [f"{page.path}: {found.generated} of {found.total} prose numbers generated ({found.share:.0%})"]
    lines += [f"{page.path}: hand-typed number {number!r} in {sentence!r}" for number, sentence in found.typed]
    return found, lines
