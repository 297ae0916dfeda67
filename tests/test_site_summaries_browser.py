"""The summary elements of the real site in headless Chromium: every investigation page's answer
and a drawn chart inside the first screen at 1280 × 900 (issue 25), the depth page's heatmap and
faceted chart, the fixed-compute chart, and the leaderboard, each drawn with no console error, and
the leaderboard linking to the investigation pages and back.

Built from ``site_src/`` and the committed ``runs/``, so the pages are the ones readers get.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from battleground.site.serve import start_in_thread
from tests.test_site_browser import SCREENSHOTS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
FOLD = 900  # the first screen of a 1280 × 900 window: an investigation page's answer and a chart are in it
INVESTIGATION_PAGES = sorted(path.stem for path in (ROOT / "site_src").glob("*.md")  # in the front matter
                             if re.search(r"^investigation:", path.read_text(encoding="utf-8").split("---")[1],
                                          re.MULTILINE))


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


@pytest.mark.parametrize("name", INVESTIGATION_PAGES)
def test_an_investigation_page_opens_with_its_answer_and_a_drawn_chart_in_the_first_screen(open_page, name):
    page, problems = open_page(f"{name}.html")
    answer = page.locator("#answer").bounding_box()
    assert answer is not None, f"{name}: no answer"
    assert answer["y"] < FOLD, f"{name}: the answer starts at {answer['y']:.0f} px"
    tops = page.evaluate("[...document.querySelectorAll('.plot[data-ready]')].filter(p => p._fullLayout)"
                         ".map(p => p.getBoundingClientRect().top + window.scrollY)")
    assert tops and min(tops) < FOLD, f"{name}: the first drawn chart starts at {min(tops, default=0):.0f} px"
    assert problems == []


@pytest.mark.parametrize("width", [390, 1280])
def test_the_depth_page_draws_its_heatmap_and_its_curves(open_page, width):
    page, problems = open_page("depth-of-architecture.html", width=width, plots=2)  # the heatmap and the curves
    heatmap = "#heatmap-depth-of-architecture-grid"
    z = page.evaluate(f"document.querySelector('{heatmap} .plot').data[0].z")
    assert len(z) == 9 and all(len(row) == 8 for row in z)  # depth x activation
    hover = page.evaluate(f"document.querySelector('{heatmap} .plot').data[0].hovertext[0][0]")
    assert hover.count("seed ") == 3  # every seed's value
    texts = [t for row in page.evaluate(f"document.querySelector('{heatmap} .plot').data[0].text") for t in row]
    # deep stacks collapse: said in words where the cell is wide, as "c" (a line of its own) on a phone
    assert any(t.endswith("collapsed" if width == 1280 else "<br>c") for t in texts)
    page.select_option(f"{heatmap} select[data-control=metric]", "best_val")
    page.wait_for_function(f"document.querySelector('{heatmap} .plot').data[0].colorbar.title.text.includes('best')")
    _screenshot(page, "depth-of-architecture", width)
    assert problems == []


def test_the_depth_views_keep_a_readable_y_range_and_the_reproduce_line_follows_the_view(open_page):
    page, problems = open_page("depth-of-architecture.html", plots=2)
    figure = "#chart-depth-of-architecture-curves"
    plot = f"document.querySelector('{figure} .plot')"
    page.locator(figure).scroll_into_view_if_needed()
    box = page.locator(f"{figure} .plot .nsewdrag").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for x in range(int(box["x"]) + 2, int(box["x"] + box["width"]), 4):  # sweep until a curve is under the pointer
        page.mouse.move(x, box["y"] + box["height"] / 2)
        if page.locator(f"{figure} .reproduce-line").is_visible():
            break
    assert page.locator(f"{figure} .reproduce-line").is_visible()
    page.mouse.move(0, 0)  # off the chart: a curve under the pointer would rightly show its own command
    options = page.locator(f"{figure} select[data-control=view] option").all_text_contents()
    page.select_option(f"{figure} select[data-control=y]", "linear")
    for view in options:  # "depth = 10" ran at chance: its axis once spanned 10.0-11.3%
        page.select_option(f"{figure} select[data-control=view]", label=view)
        assert page.locator(f"{figure} .reproduce-line").is_hidden()  # no command of the previous view's run
        low, high = page.evaluate(f"{plot}._fullLayout.yaxis.range")
        assert high - low >= 0.1 - 1e-9, f"{view}: {low:.3f}-{high:.3f}"
    assert problems == []


def test_the_zoos_charts_follow_the_theme_toggle(open_page):
    page, problems = open_page("network-zoo.html", plots=2)
    # each zoo chart's text and grid colours are the theme's, after each toggle
    themed = """() => {
        const css = v => getComputedStyle(document.documentElement).getPropertyValue(v).trim();
        const plots = [...document.querySelectorAll('[data-zoo-strategy] .plot, [data-zoo-ensembles] .plot')];
        return plots.length === 2 && plots.every(p => p._fullLayout.font.color === css('--text')
                                                    && p._fullLayout.yaxis.gridcolor === css('--grid'));
    }"""
    texts = set()
    for _ in range(2):
        page.wait_for_function(themed)
        texts.add(page.evaluate("document.querySelector('[data-zoo-strategy] .plot')._fullLayout.font.color"))
        page.click("#theme-toggle")
    assert len(texts) == 2  # both themes seen, each with its own colours
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
        assert traces[-1] == "best at the budget" and len(traces) >= 2  # a trace per budget, then the stars
        # one row per variant, as the table has: a budget of one reads as a ranking, not a column of dots
        rows = page.evaluate("f => f.querySelector('.plot').layout.yaxis.tickvals.length", figure.element_handle())
        assert rows == figure.locator("tbody tr").count()
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
