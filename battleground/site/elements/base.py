"""What a page element declares, and what it is given when it renders.

An element is one block placeholder kind, ``{{ <kind> }}`` or ``{{ <kind>: <id> }}``. It says
whether it takes an argument, where its instances are defined (a front-matter field such as
``charts``, whose entries it checks and turns into definitions), where it may stand (not on an
investigation page when ``site_wide``), how it renders and which data files it writes. Each
lives in a module of its own under ``battleground/site/elements/`` and is listed once in
:mod:`battleground.site.elements.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import jinja2

from battleground.site.context import Context, InvestigationData, Page

NO_RESULTS = "No results yet"


def data_path(investigation: str, name: str) -> str:
    """Where a page's data file goes, relative to the site's root."""
    return f"data/{investigation}/{name}"


@dataclass
class Rendering:
    """One page being rendered: what an element's ``render`` reads, and what it may note for the
    page (``needs``: ``"charts"`` loads Plotly, plot-look.js and charts.js, ``"tables"`` tables.js,
    a name ending in ``.js`` that script of ``static/js/``; ``cache``: work shared by the page's
    elements)."""

    env: jinja2.Environment
    page: Page
    context: Context
    needs: set[str] = field(default_factory=set)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def investigation(self) -> InvestigationData:
        return self.context.investigations[self.page.investigation]

    def template(self, name: str) -> jinja2.Template:
        return self.env.get_template(name)


@dataclass(frozen=True)
class Element:
    """One kind of block placeholder and everything the build needs to know of it."""

    kind: str  # the placeholder's name: {{ <kind> }} / {{ <kind>: <id> }}
    render: Callable[[Rendering, str | None], str]  # (the page being rendered, the argument) -> HTML
    takes_argument: bool = False  # {{ <kind>: <id> }}; implied by front_matter
    # Instances defined in front matter: the page field that lists them, its entries' fields
    # (field -> (type check, what is expected, required), checked by frontmatter.check_fields
    # before ``define``), and define(entry, investigation, file, field prefix) -> a definition,
    # kept in page.defined(front_matter) by id. Only an investigation's page may define them.
    front_matter: str | None = None
    fields: Mapping[str, tuple[Any, str, bool]] = field(default_factory=dict)
    define: Callable[[dict, InvestigationData, Path, str], Any] | None = None
    entries_are: str = ""  # "a list of <entries_are>" in messages (default: the field's name)
    check_page: Callable[[Page], None] | None = None  # checks across a page's entries, once all are read
    # check_use(argument, page, context, "body line N"): what the placeholder names exists
    check_use: Callable[[str | None, Page, Context, str], None] | None = None
    site_wide: bool = False  # not on an investigation page (the home page's list, say)
    needs: tuple[str, ...] = ()  # scripts the page loads when the element is placed (see Rendering)
    files: Callable[[Page, Context], dict[str, str]] | None = None  # data files: relative path -> text
    # aside(page, context) -> HTML after the prose of any page, placed or not ("" for none): a
    # site-wide element's link from the pages it gathers
    aside: Callable[[Page, Context], str] | None = None
    # one placeholder without an argument places every entry of front_matter, in order (the
    # page's answer: its findings)
    places_all: bool = False

    def __post_init__(self) -> None:
        if self.front_matter is not None:
            assert self.define is not None and "id" in self.fields, self.kind
            object.__setattr__(self, "takes_argument", not self.places_all)

    @property
    def shape(self) -> str:
        """How its placeholder is written."""
        return f"{{{{ {self.kind}: <id> }}}}" if self.takes_argument else f"{{{{ {self.kind} }}}}"

    @property
    def expected_list(self) -> str:
        return f"a list of {self.entries_are or self.front_matter}"
