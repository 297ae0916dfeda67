"""Plotly (4.8 MB) never holds a page up: while it is still arriving the page is usable (the theme
button and the tables work), each chart's area has its final size and says "Loading chart…", and
Plotly is fetched once however many charts the page has.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import browser_site

pytestmark = pytest.mark.browser

PAGE = "activation-functions.html"  # several charts and sortable tables
HEIGHTS = "() => [...document.querySelectorAll('figure[data-chart] > .plot')].map(p => p.getBoundingClientRect().height)"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return browser_site.build(tmp_path_factory.mktemp("loading"))


def test_the_page_is_usable_and_charts_keep_their_size_while_plotly_loads(site, browser):
    held = []
    with browser_site.served(site) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
        page = context.new_page()
        requested = []
        page.on("request", lambda r: r.url.endswith("/plotly.min.js") and requested.append(r.url))
        page.route("**/plotly.min.js", lambda route: held.append(route))  # held back until the page has been checked
        page.goto(url + PAGE, wait_until="domcontentloaded", timeout=60_000)  # forever, were Plotly in the way
        assert held, "the page asks for Plotly at once"
        count = page.locator("figure[data-chart] > .plot").count()  # not Plotly's own g.plot, once drawn
        assert count >= 3
        assert page.locator("figure[data-chart] > .plot > .chart-loading").all_inner_texts() == ["Loading chart…"] * count
        loading_heights = page.evaluate(HEIGHTS)
        page.click("#theme-toggle")  # the page works without Plotly
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        header = page.locator("#table-results th[data-key=epochs]")
        header.locator("button").click()
        assert header.get_attribute("aria-sort") is not None

        held[0].continue_()
        page.wait_for_function(f"document.querySelectorAll('.plot[data-ready]').length === {count}",
                               polling=250, timeout=60_000)  # polled: animation frames can starve on a busy machine
        assert page.locator(".chart-loading").count() == 0
        assert page.evaluate(HEIGHTS) == loading_heights  # nothing below a chart moved
        assert page.locator("figure[data-chart] svg.main-svg").count() >= count
        assert len(requested) == 1
        context.close()
