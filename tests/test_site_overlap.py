"""Every page at a phone's, a small laptop's and a desktop's width: no control covers another (the
theme button and nine navigation links), Plotly's toolbar stays off the plotting area, axis titles
stay inside their chart clear of its edges, and the home page's small chart of one view of several
says which view it shows. Screenshots of each page at 390 and 1280 px go to
test-artifacts/screenshots/.

On the published site too (its long legends, every kind of chart): no chart's legend meets one of
its axis titles, and every legend entry shows without scrolling.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import browser_site

pytestmark = pytest.mark.browser

CLEARANCE = 4  # px between an axis title and the edge of its chart
SCREENSHOT_WIDTHS = (390, 1280)

# Each control's boxes (one per line an inline link wraps over), and each pair of controls, neither
# inside the other, whose boxes intersect.
OVERLAPS = """() => {
  // checkVisibility: not display:none, not visibility:hidden, not inside a closed <details>
  const visible = e => e.getClientRects().length && e.checkVisibility({visibilityProperty: true});
  const controls = [...document.querySelectorAll('a[href], button, select, summary, input, [tabindex]')]
    .filter(visible);
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' + e.textContent.trim().slice(0, 30) + '"';
  const meets = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
                       && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const out = [];
  controls.forEach((a, i) => controls.slice(i + 1).forEach(b => {
    if (a.contains(b) || b.contains(a)) return;
    if ([...a.getClientRects()].some(r => [...b.getClientRects()].some(s => meets(r, s)))) out.push(name(a) + ' covers ' + name(b));
  }));
  return out;
}"""

CHART_BOXES = """() => [...document.querySelectorAll('figure[data-chart] .plot[data-ready]')].map(plot => {
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                     return r.width ? {left: r.left, top: r.top, right: r.right, bottom: r.bottom} : null; };
  return { id: plot.closest('figure').id, plot: box(plot), area: box(plot.querySelector('.nsewdrag')),
           modebar: box(plot.querySelector('.modebar')), legend: box(plot.querySelector('.legend')),
           titles: [...plot.querySelectorAll('.g-xtitle text, .g-ytitle text')].map(t => [t.textContent, box(t)]) };
})"""


# Every Plotly chart of a page (learning curves, heatmaps, distributions, fixed compute, the
# leaderboard, the zoo's) as drawn: its box, its legend's box, its legend entries' boxes, whether the legend
# has a scrollbar, its axis and chart titles' boxes, its x tick labels' boxes; a distribution's
# plotting area and chart boxes; a heatmap's plotting area width, columns and cell texts' boxes.
PLOT_BOXES = """() => [...document.querySelectorAll('div.plot')].filter(p => p.querySelector('.main-svg')).map((plot, n) => {
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                     return r.width ? {left: r.left, top: r.top, right: r.right, bottom: r.bottom} : null; };
  const figure = plot.closest('figure'), bar = plot.querySelector('.legend .scrollbar');
  return { id: (figure && (figure.id || figure.className)) || String(n), plot: box(plot),
           legend: box(plot.querySelector('.legend .bg')),
           entries: [...plot.querySelectorAll('.legend .traces')].map(box).filter(Boolean),
           scrollbar: !!(bar && bar.getBoundingClientRect().height > 0),
           titles: [...plot.querySelectorAll('.g-xtitle text, .g-ytitle text, .g-gtitle text')]
             .map(t => [t.textContent, box(t)]).filter(t => t[1]),
           // level ones only: a rotated label's box is a slanted one's bounding square, which meets its neighbour's
           xticks: [...plot.querySelectorAll('.xaxislayer-above .xtick text')]
             .filter(t => !/rotate\\((?!0[,)])/.test(t.getAttribute('transform') || ''))
             .map(t => [t.textContent, box(t)]).filter(t => t[1]),
           distribution: figure && figure.hasAttribute('data-distribution')
             ? { plot: box(plot), area: box(plot.querySelector('.nsewdrag')) } : null,
           heatmap: plot.data && plot.data[0] && plot.data[0].type === 'heatmap'
             ? { area: plot.querySelector('.nsewdrag').getBoundingClientRect().width,
                 columns: plot.data[0].x.length,
                 texts: [...plot.querySelectorAll('.hm text')].map(t => [t.textContent, box(t)]).filter(t => t[1]) }
             : null };
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return browser_site.build(tmp_path_factory.mktemp("overlap"))


@pytest.fixture(scope="module")
def base_url(site):
    with browser_site.served(site) as url:
        yield url


@pytest.fixture(scope="module")
def measured(browser, site, base_url) -> dict[tuple[int, str], dict]:
    """Each page at each width, measured once (and photographed at 390 and 1280 px)."""
    out = {}
    for width in browser_site.WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)  # a busy CI machine
        for name in browser_site.pages(site):
            browser_site.open_page(page, base_url + name)
            out[width, name] = {"overlaps": page.evaluate(OVERLAPS), "charts": page.evaluate(CHART_BOXES),
                                "headline": page.evaluate("""() => [...document.querySelectorAll('figure.chart-small')]
                                    .map(f => ({text: f.innerText, spec: JSON.parse(f.querySelector('script.chart-data').textContent)}))""")}
            if width in SCREENSHOT_WIDTHS:
                browser_site.screenshot(page, f"{name.removesuffix('.html')}-{width}.png")
        context.close()
    return out


@pytest.fixture(scope="module")
def published_charts(browser, published_site) -> dict[int, list[tuple[str, dict]]]:
    """Every chart of every published page at each width: (page, PLOT_BOXES entry)."""
    out: dict[int, list[tuple[str, dict]]] = {}
    with browser_site.served(published_site) as url:
        for width in browser_site.WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(120_000)  # the biggest pages draw dozens of charts
            for name in browser_site.pages(published_site):
                browser_site.open_page(page, url + name)
                page.wait_for_function("""() => [...document.querySelectorAll('div.plot')]
                    .every(plot => plot.hasAttribute('data-ready') || plot.querySelector('.main-svg'))""")
                out.setdefault(width, []).extend((name, chart) for chart in page.evaluate(PLOT_BOXES))
            context.close()
    return out


def inside(inner: dict, outer: dict, margin: float) -> bool:
    return (inner["left"] >= outer["left"] + margin and inner["right"] <= outer["right"] - margin
            and inner["top"] >= outer["top"] + margin and inner["bottom"] <= outer["bottom"] - margin)


def meets(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_no_control_covers_another(measured, width):
    found = {name: m["overlaps"] for (w, name), m in measured.items() if w == width and m["overlaps"]}
    assert not found, json.dumps(found, indent=1)


def test_the_site_has_as_many_navigation_links_as_the_real_one(site):
    assert len(browser_site.pages(site)) >= 9


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_plotly_toolbar_stays_off_the_plotting_area(measured, width):
    charts = [(name, c) for (w, name), m in measured.items() if w == width for c in m["charts"]]
    assert any(c["modebar"] for _, c in charts)  # the toolbar exists and is measured
    covering = [(name, c["id"]) for name, c in charts if c["modebar"] and c["area"] and meets(c["modebar"], c["area"])]
    assert not covering


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_axis_titles_stay_inside_their_chart_clear_of_its_edges(measured, width):
    titles = [(name, c["id"], text, box, c["plot"]) for (w, name), m in measured.items() if w == width
              for c in m["charts"] for text, box in c["titles"] if box]
    assert titles
    cut = [(name, figure, text) for name, figure, text, box, plot in titles if not inside(box, plot, CLEARANCE)]
    assert not cut


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_the_legend_stays_clear_of_the_axis_titles(measured, width):
    charts = [(name, c) for (w, name), m in measured.items() if w == width for c in m["charts"] if c["legend"]]
    assert charts
    covered = [(name, c["id"], text) for name, c in charts for text, box in c["titles"]
               if box and meets(box, c["legend"])]
    assert not covered


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_the_home_pages_chart_of_one_view_says_which(measured, width):
    headlines = measured[width, "index.html"]["headline"]
    faceted = [h for h in headlines if h["spec"]["views"][0]["label"]]
    assert faceted, "the home page of the test site has a faceted chart"
    for headline in faceted:
        assert headline["spec"]["views"][0]["label"] in headline["text"]


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_no_published_chart_has_a_legend_over_an_axis_title(published_charts, width):
    charts = [(name, c) for name, c in published_charts[width] if c["legend"]]
    assert len({name for name, _ in charts}) >= 5 and all(c["titles"] for _, c in charts)  # measured, not absent
    covered = [(name, c["id"], text) for name, c in charts for text, box in c["titles"] if meets(box, c["legend"])]
    assert not covered


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_every_legend_entry_of_a_published_chart_shows_without_scrolling(published_charts, width):
    charts = [(name, c) for name, c in published_charts[width] if c["legend"]]
    assert sum(len(c["entries"]) for _, c in charts) >= 100  # the long legends are among them
    hidden = [(name, c["id"], sum(not inside(e, c["legend"], -1) for e in c["entries"]))
              for name, c in charts if c["scrollbar"] or not all(inside(e, c["legend"], -1) for e in c["entries"])]
    assert not hidden


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_every_heatmap_cell_text_fits_its_cell(published_charts, width):
    maps = [(name, c) for name, c in published_charts[width] if c["heatmap"]]
    assert maps
    for name, c in maps:
        cell = c["heatmap"]["area"] / c["heatmap"]["columns"]
        wide = [text for text, box in c["heatmap"]["texts"] if box["right"] - box["left"] > cell - 2]
        assert not wide, f"{name} {c['id']}: {wide[:5]} wider than a {cell:.0f} px cell"


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_no_two_x_tick_labels_of_a_published_chart_overlap(published_charts, width):
    charts = [(name, c) for name, c in published_charts[width] if len(c["xticks"]) > 1]
    assert charts
    crowded = [(name, c["id"], a[0], b[0]) for name, c in charts
               for i, a in enumerate(c["xticks"]) for b in c["xticks"][i + 1:] if meets(a[1], b[1])]
    assert not crowded


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_a_distributions_strips_span_most_of_its_chart(published_charts, width):
    """Each variant's label is on a line above its strip, not beside it: on a phone the labels once
    left the seeds some 70 px."""
    strips = [(name, c) for name, c in published_charts[width] if c["distribution"]]
    assert strips
    narrow = [(name, c["id"]) for name, c in strips
              if c["distribution"]["area"]["right"] - c["distribution"]["area"]["left"]
              < 0.8 * (c["distribution"]["plot"]["right"] - c["distribution"]["plot"]["left"])]
    assert not narrow


@pytest.mark.parametrize("width", browser_site.WIDTHS)
def test_every_axis_title_of_a_published_chart_stays_inside_it(published_charts, width):
    titles = [(name, c["id"], text, box, c["plot"]) for name, c in published_charts[width] for text, box in c["titles"]]
    assert titles
    cut = [(name, figure, text) for name, figure, text, box, plot in titles if not inside(box, plot, CLEARANCE)]
    assert not cut
