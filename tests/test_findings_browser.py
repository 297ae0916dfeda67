"""A page's answer in Chromium: inside the first screen at 1280 × 900, each generated number
showing its runs when focused from the keyboard (and hovered), with no axe-core violation in
either theme while a note is open.

Chromium is required: these tests fail, not skip, where it is missing (CI installs it).
"""

from __future__ import annotations

import pytest

from tests import browser_site
from tests.test_findings import build, tree  # noqa: F401 - the sample tree with an answer
from tests.test_site_accessibility import axe_source, violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_answer_is_on_the_first_screen_and_a_focused_number_shows_its_runs(browser, tree, theme):  # noqa: F811
    build(tree)
    with browser_site.served(tree / "site") as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=theme)
        page = context.new_page()
        try:
            browser_site.open_page(page, url + "activation-functions.html")
            box = page.locator("#answer").bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, box
            number = page.locator("#answer .evidence-value").first
            note = page.locator("#answer .evidence-runs").first
            assert not note.is_visible()
            for _ in range(40):  # from the top of the page, as a keyboard reader gets there
                page.keyboard.press("Tab")
                if number.evaluate("e => e === document.activeElement"):
                    break
            else:
                pytest.fail("Tab never reached the answer's first number")
            assert note.is_visible()
            assert "SimpleNet2[activation=ReLU,depth=0]: seeds 1729, 271828, 314159; 25 epochs" in note.inner_text()
            assert number.get_attribute("aria-describedby") == note.get_attribute("id")
            page.add_script_tag(content=axe_source())
            assert not violations(page), violations(page)
            page.keyboard.press("Tab")
            assert not note.is_visible()
            number.hover()
            assert note.is_visible()
            number.click()  # to the variant's rows of the results table
            assert page.evaluate("location.hash") == "#results-simplenet2-activation-relu-depth-0"
            assert page.locator("#results-simplenet2-activation-relu-depth-0 tr.variant-row").is_visible()
        finally:
            context.close()
