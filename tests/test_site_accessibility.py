"""Every page of the built site, in the light and the dark theme, has no WCAG 2 A or AA violation
that axe-core (the standard accessibility engine) finds, with its charts drawn.

axe-core is the npm package pinned in package.json: the test injects it from node_modules, so
nothing is fetched. One browser and one tab per theme visit every page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import browser_site

pytestmark = pytest.mark.browser

AXE = browser_site.ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SHOWN_PER_RULE = 3  # elements quoted per violation in a failure message


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return browser_site.build(tmp_path_factory.mktemp("accessibility"))


@pytest.fixture(scope="module")
def base_url(site):
    with browser_site.served(site) as url:
        yield url


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in the repository root")
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[str]:
    """One line per violated rule: its id, how many elements, and the first few of them."""
    found = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})
        .then(result => result.violations.map(v => ({id: v.id, nodes: v.nodes.map(n =>
            n.target.join(' ') + ': ' + n.failureSummary.split('\\n').slice(1).join(' ').trim())})))""",
                          WCAG_A_AA)
    return [f"{v['id']} on {len(v['nodes'])}: " + " | ".join(v["nodes"][:SHOWN_PER_RULE]) for v in found]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_has_no_wcag_a_or_aa_violation(browser, site, base_url, theme):
    axe = axe_source()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(60_000)  # a busy CI machine
    found = {}
    try:
        for name in browser_site.pages(site):
            browser_site.open_page(page, base_url + name)
            assert page.evaluate("document.documentElement.dataset.theme") == theme
            page.add_script_tag(content=axe)
            if problems := violations(page):
                found[name] = problems
    finally:
        context.close()
    assert not found, "\n".join(f"{name} ({theme}): {line}" for name, lines in found.items() for line in lines)
