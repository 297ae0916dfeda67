"""The summary elements of the real site in headless Chromium: the depth page's heatmap and
faceted chart above the fold at 1280 px, the fixed-compute chart, and the leaderboard, each drawn
with no console error, and the leaderboard linking to the investigation pages and back.

Built from ``site_src/`` and the committed ``runs/``, so the pages are the ones readers get.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from battleground.site.serve import start_in_thread
from tests.test_site_browser import SCREENSHOTS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
FOLD = 800  # the height of a 1280-px-wide laptop screen's browser window, about


@pytest.fixture(scope="module")
def base_url(published_site):
    server, url = start_in_thread(published_site, prefix="/s/")
    yield url
    server.shutdown()


@pytest.fixture
def open_page(browser, base_url):
    contexts = []

    def open_(name: str, width: int = 1280, height: int = FOLD, plots: int = 1):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(120_000)  # a busy machine loads Plotly (4.8 MB) slowly
        problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
        page.on("request", lambda r: urlparse(r.url).netloc not in ("", urlparse(base_url).netloc)
                and problems.append(f"foreign request: {r.url}"))
        page.goto(base_url + name)
        page.wait_for_load_state("load")
        page.wait_for_function(f"document.querySelectorAll('.plot[data-ready]').length >= {plots}")
        return page, problems

    yield open_
    for context in contexts:
        context.close()


def _screenshot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_depth_page_draws_its_heatmap_and_at_1280_px_shows_it_and_the_curves_above_the_fold(open_page, width):
    page, problems = open_page("depth-of-architecture.html", width=width, plots=2)  # the heatmap and the curves
    heatmap = "#heatmap-depth-of-architecture-grid"
    z = page.evaluate(f"document.querySelector('{heatmap} .plot').data[0].z")
    assert len(z) == 9 and all(len(row) == 8 for row in z)  # depth x activation
    hover = page.evaluate(f"document.querySelector('{heatmap} .plot').data[0].hovertext[0][0]")
    assert hover.count("seed ") == 3  # every seed's value
    texts = [t for row in page.evaluate(f"document.querySelector('{heatmap} .plot').data[0].text") for t in row]
    # deep stacks collapse: said in words where the cell is wide, as "c" on a phone
    assert any(t.endswith("collapsed" if width == 1280 else " c") for t in texts)
    page.select_option(f"{heatmap} select[data-control=metric]", "best_val")
    page.wait_for_function(f"document.querySelector('{heatmap} .plot').data[0].colorbar.title.text.includes('best')")
    _screenshot(page, "depth-of-architecture", width)
    if width == 1280:
        for figure in (heatmap, "#chart-depth-of-architecture-curves"):
            box = page.locator(f"{figure} .plot").bounding_box()
            assert box["y"] + box["height"] <= FOLD, f"{figure} ends at {box['y'] + box['height']:.0f} px"
    assert problems == []


@pytest.mark.parametrize("name", ["activation-functions.html", "node-budget.html", "training-recipes.html"])
def test_each_later_investigation_page_draws_its_fixed_compute_view(open_page, name):
    page, problems = open_page(name, plots=1)
    figures = page.locator("figure[data-fixed-compute]")
    assert figures.count() >= 1
    for figure in figures.all():
        figure.scroll_into_view_if_needed()
        page.wait_for_function("f => f.querySelector('.plot[data-ready]') !== null", arg=figure.element_handle())
        traces = page.evaluate("f => f.querySelector('.plot').data.map(t => t.name)", figure.element_handle())
        assert traces[-1] == "best at the budget" and len(traces) > 2
        assert figure.locator("td.best").count() >= 1
    assert page.locator(".see-also a[href='leaderboard.html']").count() == 1
    _screenshot(page, name.removesuffix(".html"), 1280)
    assert problems == []


@pytest.mark.parametrize("width", [390, 1280])
def test_the_leaderboard_draws_one_frontier_per_data_set_and_links_to_the_pages(open_page, width):
    page, problems = open_page("leaderboard.html", width=width, plots=2)
    titles = page.locator("figure[data-leaderboard] .data-set").all_text_contents()
    assert titles == ["· Fashion-MNIST", "· MNIST", "· MNIST digit pairs"]  # one frontier per data set and task
    data = page.evaluate("document.querySelector('figure[data-leaderboard] .plot').data")
    assert data[-1]["name"] == "Pareto frontier" and len(data[-1]["x"]) >= 1
    page.select_option("figure[data-leaderboard] select[data-control=x]", "parameters")
    page.wait_for_function("document.querySelector('figure[data-leaderboard] .plot').layout.xaxis.title.text === 'parameters'")
    links = set(page.eval_on_selector_all(".leaderboard-table a", "els => els.map(e => e.getAttribute('href'))"))
    pages = {p.stem + ".html" for p in (ROOT / "site_src").glob("*.md")}  # every link leads to a page
    assert links and links <= pages - {"index.html", "leaderboard.html"}
    _screenshot(page, "leaderboard", width)
    assert problems == []
