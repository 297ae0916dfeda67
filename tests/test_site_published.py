"""The published pages themselves (``site_src/`` with the committed runs), in Chromium: every
page, in the light and the dark theme, draws without a console error and has no WCAG 2 A or AA
violation axe-core finds; and each leaves a screenshot at 390 and 1280 px in
``test-artifacts/screenshots/``.

The sample site's tests (``test_site_accessibility.py``, ``test_site_overlap.py``) pin the
elements on small fixed data; this one catches what only the real pages hold: a hundred variants
in a table, every element kind, long legends, the zoo's pictures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import browser_site
from tests.test_site_accessibility import axe_source, violations

pytestmark = pytest.mark.browser
SHOT_WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def site(published_site) -> Path:
    return published_site


@pytest.fixture(scope="module")
def base_url(site):
    with browser_site.served(site) as url:
        yield url


def _all_drawn(page) -> None:
    """Wait until every Plotly area of the page (charts, heatmaps, distributions, ...) has drawn."""
    page.wait_for_function("""() => [...document.querySelectorAll('div.plot')]
        .every(plot => plot.hasAttribute('data-ready') || plot.querySelector('.main-svg'))""")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_published_page_draws_cleanly_and_passes_axe(browser, site, base_url, theme):
    axe = axe_source()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(120_000)  # the biggest pages draw dozens of charts on a busy machine
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    found = {}
    try:
        for name in browser_site.pages(site):
            browser_site.open_page(page, base_url + name)
            _all_drawn(page)
            assert page.evaluate("document.documentElement.dataset.theme") == theme
            assert not errors, f"{name} ({theme}): {errors}"
            page.add_script_tag(content=axe)
            if problems := violations(page):
                found[name] = problems
    finally:
        context.close()
    assert not found, "\n".join(f"{name} ({theme}): {line}" for name, lines in found.items() for line in lines)


def test_every_published_page_leaves_a_screenshot_at_390_and_1280_px(browser, site, base_url):
    for width in SHOT_WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(120_000)
        try:
            for name in browser_site.pages(site):
                browser_site.open_page(page, base_url + name)
                _all_drawn(page)
                shot = f"published-{Path(name).stem}-{width}.png"
                browser_site.screenshot(page, shot)
                assert (browser_site.SCREENSHOTS / shot).stat().st_size > 0
        finally:
            context.close()
