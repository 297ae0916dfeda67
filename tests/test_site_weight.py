"""Page weight: every investigation page stays under its size budget with full-size data, and
no download file is huge.

A budget, not a timing, so a test pins it: 72 depth variants and 16 activation variants, three
seeds each, 3,000 epochs a run, as the published battleground's grid would leave them; an
investigation that declares its epochs (the zoo, digit pairs, training recipes) at those epochs. The page's
HTML (inline chart data and tables included; shared scripts, styles and fonts not) must stay under
300 KB, so a reader on a slow connection gets the page in seconds; the downloads keep every epoch,
one pair of files per variant, each a few MB at most.

And what a reader downloads: each published page, opened in Chromium with a cold cache and served
over HTTP, transfers at most 3 MB in all (page, styles, fonts, scripts, Plotly, pictures), the
About page at most 400 KB. A page without charts must not fetch Plotly at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from battleground.core import splits
from battleground.site import content, downloads, pages
from battleground.site.serve import start_in_thread
from battleground.site.context import Context
from experiments import discover
from battleground.core.config import DEFAULTS
from tests.site_fixtures import write_run

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 300 * 1024  # bytes of HTML per investigation page
DOWNLOAD_BUDGET = 5 * 1024 * 1024  # bytes of the largest download file
TRANSFER_BUDGET = 3 * 1000 * 1000  # bytes a reader's browser fetches for any one page
ABOUT_TRANSFER_BUDGET = 400 * 1000  # ... for the About page: prose only
EPOCHS = 3_000
# Every deep sigmoid variant collapses, as the published battleground reported; the labels
# "(collapsed)" and the status cells must fit in the budget too.
COLLAPSED = {"activation": "sigmoid", "min_depth": 10}


@pytest.fixture(scope="module")
def full_size(tmp_path_factory) -> Context:
    runs = tmp_path_factory.mktemp("weight") / "runs"
    investigations = discover()
    split = splits.for_config(ROOT / "runs", DEFAULTS)
    (runs / split.parent.name).mkdir(parents=True)
    (runs / split.parent.name / split.name).write_bytes(split.read_bytes())
    labels = splits.read(split)
    for name, inv in investigations.items():
        # an investigation that declares its epochs trains for them (the network zoo's thousand
        # runs: 4 each, with the per-image predictions its page reads: digits, ensembles); a
        # budgeted one as long as the published battleground's runs
        epochs = inv.config.epochs or EPOCHS
        for v in inv.variants:
            collapse = (v.kwargs.get("activation") == COLLAPSED["activation"]
                        and v.kwargs.get("depth", 0) >= COLLAPSED["min_depth"])
            for seed in inv.seeds_of(v):
                write_run(runs, name, v, seed, epochs=epochs, collapsed=collapse,
                          labels=labels if name == "network-zoo" else None)
    return content.read_context(ROOT / "site_src", runs, investigations, ROOT / "battleground" / "train" / "models.py")


@pytest.mark.slow  # builds every page from runs of thousands of epochs
def test_every_investigation_page_is_under_300_kb_with_full_size_runs(full_size):
    env = pages.environment()
    # The page exactly as the build writes it (render_site does the same), without the ~100 MB of
    # every-epoch download files that a full build would spend most of its time writing.
    sizes = {p.filename: len(pages.render_page(env, p, full_size).encode("utf-8"))
             for p in full_size.investigation_pages()}
    # every investigation's page is measured, whichever investigations exist
    assert set(sizes) == {f"{page.investigation}.html" for page in full_size.investigation_pages()}
    assert {"activation-functions.html", "depth-of-architecture.html"} <= set(sizes)
    over = {name: f"{size / 1024:.0f} KB" for name, size in sizes.items() if size >= BUDGET}
    assert not over, f"investigation pages over the {BUDGET // 1024} KB budget: {over}"


def test_no_download_of_the_full_size_depth_page_is_over_5_mb(full_size):
    page = full_size.page("depth-of-architecture")
    inv = full_size.investigations[page.investigation]
    files = downloads.files(page.charts.values(), inv)
    # every run of the faceted chart is in exactly one pair of files: 72 variants, JSON and CSV
    assert len(files) == 2 * len(inv.spec.variants)
    largest = max(files, key=lambda name: len(files[name].encode("utf-8")))
    size = len(files[largest].encode("utf-8"))
    assert size < DOWNLOAD_BUDGET, f"{largest} is {size / 2**20:.1f} MB, over {DOWNLOAD_BUDGET // 2**20} MB"


# The trace types the page's drawn charts use, each with whether the shipped bundle has it.
TRACE_TYPES = """() => {
    const known = window.Plotly ? Object.keys(Plotly.PlotSchema.get().traces) : [];
    const used = [...document.querySelectorAll('div.plot')].flatMap(p => (p.data || []).map(t => t.type || 'scatter'));
    return Object.fromEntries(used.map(type => [type, known.includes(type)]));
}"""


def transferred(browser, url: str) -> tuple[dict[str, int], int, dict[str, bool]]:
    """Bytes of every response (headers and body) a cold-cache Chromium fetches to show ``url``,
    charts drawn, by path; how many Plotly areas the page has; the trace types they draw."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)  # the biggest pages draw dozens of charts on a busy machine
    fetched: dict[str, int] = {}

    def record(request) -> None:
        sizes = request.sizes()
        path = request.url.split("?")[0].rsplit("/site/", 1)[-1]
        fetched[path] = fetched.get(path, 0) + sizes["responseHeadersSize"] + sizes["responseBodySize"]

    page.on("requestfinished", record)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function("""() => [...document.querySelectorAll('div.plot')]
            .every(plot => plot.hasAttribute('data-ready') || plot.querySelector('.main-svg'))""")
        page.wait_for_load_state("networkidle")
        plots = page.locator("div.plot").count()
        traces = page.evaluate(TRACE_TYPES)
    finally:
        context.close()
    return fetched, plots, traces


@pytest.mark.browser
def test_every_published_page_transfers_at_most_3_mb_and_about_at_most_400_kb(browser, published_site):
    server, url = start_in_thread(published_site, prefix="/sub/site/")
    try:
        names = sorted(p.name for p in published_site.glob("*.html"))
        measured = {name: transferred(browser, url + name) for name in names}
    finally:
        server.shutdown()
    fetched = {name: sizes for name, (sizes, _, _) in measured.items()}
    without_charts = [name for name, (_, plots, _) in measured.items() if plots == 0]
    # the partial Plotly bundle has every trace type the pages draw (and they draw all three)
    traces = {type_: known for _, _, drawn in measured.values() for type_, known in drawn.items()}
    assert {"scatter", "box", "heatmap"} <= set(traces), traces
    assert all(traces.values()), f"trace types the Plotly bundle lacks: {[t for t, ok in traces.items() if not ok]}"
    totals = {name: sum(sizes.values()) for name, sizes in fetched.items()}
    report = "\n".join(f"{name:<28} {total / 1e6:6.2f} MB" for name, total in totals.items())
    print("\n" + report)  # pytest -s shows each page's weight
    assert "about.html" in totals and all(totals.values())
    # the page itself, its stylesheet and the font it is set in are among what was counted
    assert {"about.html", "static/css/battleground.css"} <= set(fetched["about.html"])
    assert any(path.endswith(".woff2") for path in fetched["about.html"])
    assert "about.html" in without_charts and "index.html" not in without_charts
    fetching_plotly = [name for name in without_charts if any("plotly" in path for path in fetched[name])]
    assert not fetching_plotly, f"pages without a chart fetched Plotly: {fetching_plotly}"
    over = {name: f"{total / 1e6:.2f} MB" for name, total in totals.items() if total > TRANSFER_BUDGET}
    assert not over, f"pages over the {TRANSFER_BUDGET / 1e6:.0f} MB budget:\n{report}"
    assert totals["about.html"] <= ABOUT_TRANSFER_BUDGET, \
        f"about.html transfers {totals['about.html'] / 1e3:.0f} KB, over {ABOUT_TRANSFER_BUDGET / 1e3:.0f} KB"
