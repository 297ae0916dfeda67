"""Every table of the published site fits its column at 1280 × 900, in Chromium, in the light and
the dark theme: a reader reaches the verdict and the accuracy columns without scrolling sideways.

The published pages (``site_src/`` with the committed runs) hold what the sample cannot: a
hundred variants in a results table, every comparison, the leaderboard's frontiers, the
methodology's summary of the runs. Each table is measured with everything behind its expanders
shown (each variant's seeds and commands, the variants past the fold, every ``<details>``), since a
reader who opens them must not be sent sideways either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import browser_site

pytestmark = pytest.mark.browser

# Open every expander, then measure each table against the box it sits in (its scrolling region,
# else its parent): the table may not be wider than that box shows.
MEASURE = """() => {
    document.querySelectorAll('tr[hidden], tbody[hidden]').forEach(e => { e.hidden = false; });
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    return [...document.querySelectorAll('main table')].map(table => {
        const box = table.closest('.table-scroll') || table.parentElement;
        const figure = table.closest('figure');
        return {where: figure && figure.id ? '#' + figure.id : (table.className || 'table'),
                table: Math.ceil(table.getBoundingClientRect().width), scroll: box.scrollWidth, column: box.clientWidth};
    });
}"""


@pytest.fixture(scope="module")
def base_url(published_site):
    with browser_site.served(published_site) as url:
        yield url


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_table_is_wider_than_its_column_at_1280(browser, published_site: Path, base_url, theme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(120_000)  # the biggest pages draw dozens of charts on a busy machine
    too_wide, measured = {}, 0
    try:
        for name in browser_site.pages(published_site):
            page.goto(base_url + name)
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready")  # widths with the site's own font, not a fallback's
            assert page.evaluate("document.documentElement.dataset.theme") == theme
            tables = page.evaluate(MEASURE)
            measured += len(tables)
            wide = [t for t in tables if t["scroll"] > t["column"] or t["table"] > t["column"]]
            if wide:
                too_wide[name] = wide
    finally:
        context.close()
    # the published site has results tables, comparisons and frontiers: a run that finds none
    # measured nothing
    assert measured >= 20, measured
    assert not too_wide, too_wide
