"""The site the layout and accessibility browser tests read: the golden sample site grown to the
size of the real one (nine pages, so the navigation wraps as it does on the published site) with a
faceted chart on the home page (the browser is the conftest's shared one).

Chromium is required: these tests fail, not skip, where it is missing (CI installs it).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from battleground.site.serve import start_in_thread
from tests.golden import sample

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
WIDTHS = (390, 1024, 1280)  # a phone, a small laptop, a desktop
# Pages beyond the sample's six, titled as the published site's are: the navigation then holds
# as many links, as long, as the real one.
EXTRA_PAGES = {
    "depth-of-architecture": "Depth of architecture",
    "training-recipes": "Training recipes",
    "node-budget": "Node budget",
    "about": "About this site",
}
# The home page's small chart of the sample's activation page: the faceted one, on the nines
# scale, so the home page shows a chart of one view of several, with the longest y title.
HEADLINE = ("headline: simplenet2\n", "headline: by-activation\n")
FACETED = ("    facet: activation\n", "    facet: activation\n    y: nines\n")


def write_pages(src: Path) -> None:
    """The sample's pages and the extra ones, into ``src``."""
    shutil.copytree(sample.SRC, src)
    page = src / "activation-functions.md"
    text = page.read_text(encoding="utf-8")
    for old, new in (HEADLINE, FACETED):
        assert text.count(old) == 1, f"{page}: expected one {old!r} to replace"
        text = text.replace(old, new)
    page.write_text(text, encoding="utf-8")
    for order, (slug, title) in enumerate(EXTRA_PAGES.items(), start=50):
        (src / f"{slug}.md").write_text(
            f"---\ntitle: {title}\nsummary: A page of prose, so the site has as many pages as the real one.\n"
            f"order: {order}\n---\n\nSome prose.\n\n```\na preformatted line long enough to scroll sideways on a "
            f"phone: {'0123456789 ' * 12}\n```\n", encoding="utf-8")


def build(tmp: Path) -> Path:
    """Build the site under ``tmp``; its folder."""
    write_pages(tmp / "src")
    out = tmp / "site"
    sample.builder.build(out, runs=sample.RUNS, src=tmp / "src", models=sample.MODELS,
                         investigations=sample.investigations())
    return out


def pages(site: Path) -> list[str]:
    """Every page of the built site, home first."""
    names = sorted(p.name for p in site.glob("*.html"))
    return ["index.html"] + [n for n in names if n != "index.html"]


@contextlib.contextmanager
def served(site: Path):
    server, url = start_in_thread(site, prefix="/sub/site/")
    try:
        yield url
    finally:
        server.shutdown()


def open_page(page, url: str) -> None:
    """Go to ``url`` and wait until every chart on it has drawn."""
    page.goto(url)
    page.wait_for_load_state("load")
    charts = page.locator("figure[data-chart] .plot").count()
    page.wait_for_function(f"document.querySelectorAll('.plot[data-ready]').length >= {charts}")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)

