"""The network zoo end to end: a few tiny real runs trained in parallel one-thread processes
(resuming and skipping finished ones), the page built from them with all six parts and the digit
pictures, under its weight budget, and drawn in Chromium without a console error."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from battleground.core import catalogue, records, zoo
from battleground.site import builder
from battleground.site.serve import start_in_thread
from experiments import network_zoo
from tests.test_site_browser import SCREENSHOTS, Watched

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 300 * 1024
# Parsing Plotly's 4.8 MB takes Chromium a second on an idle machine and minutes on a shared,
# overloaded one: the test is about errors, not speed
LOADED_S = 300
CELLS = [("Linear", "ReLU"), ("Conv1d", "tanh"), ("Conv2d", "ReLU"), ("Conv3dThenLinear", "sigmoid"),
         ("ResNet", "SELU")]


@pytest.fixture(scope="module")
def zoo_runs(tmp_path_factory, data_dir):
    """Three Basic seeds and one network of five cells, 3 epochs on 1,000 images, trained by two
    one-thread worker processes; then the same call again, which must train nothing."""
    from battleground.train import parallel

    runs = tmp_path_factory.mktemp("zoo") / "runs"
    inv = network_zoo.INVESTIGATION
    config = inv.config.replace(epochs=3, train_size=1_000)
    chosen = [zoo.cell(c, a, 1)[0].variant for c, a in CELLS]
    tasks = inv.tasks([network_zoo.BASIC], network_zoo.BASIC_SEEDS[:3], config) + inv.tasks(chosen, None, config)
    done, first = parallel.run_parallel(tasks, runs, jobs=2, data_dir=data_dir, log=lambda _: None)
    again, second = parallel.run_parallel(tasks, runs, jobs=2, data_dir=data_dir, log=lambda _: None)
    return runs, tasks, done, first, again, second


@pytest.mark.slow  # trains zoo networks in worker processes
def test_parallel_workers_train_every_task_once_and_then_skip_them(zoo_runs):
    runs, tasks, done, first, again, second = zoo_runs
    assert [r["status"] for r in done] == ["complete"] * len(tasks)
    assert [(r["variant"], r["seed"]) for r in done] == [(t.variant.name, t.seed) for t in tasks]
    assert first.trained == len(tasks) and first.per_hour > 0
    assert second.trained == 0 and [r["finished"] for r in again] == [r["finished"] for r in done]
    for record in done:
        assert record["model"]["memory"] > 784 and record["model"]["operations"] >= 1
        assert len(records.decode_classes(record["predictions"]["val"])) == 8_000


@pytest.fixture(scope="module")
def zoo_site(zoo_runs, data_dir, tmp_path_factory) -> Path:
    runs = zoo_runs[0]
    out = tmp_path_factory.mktemp("zoo-site") / "site"
    builder.build(out, runs=runs, data_dir=data_dir)
    return out


@pytest.mark.slow  # trains zoo networks in worker processes
def test_the_page_has_every_part_with_the_pictures_and_stays_under_300_kb(zoo_site):
    html = (zoo_site / "network-zoo.html").read_text(encoding="utf-8")
    assert len(html.encode("utf-8")) < BUDGET
    for part in ("runs", "classes", "strategy", "digits", "best", "ensembles", "late"):
        assert f'class="zoo zoo-part-{part}"' in html, part
    assert "5 of the 1,000 declared networks have a complete record, and 3 of the 30 seeds of Basic" in html
    pictures = re.findall(r'<img src="(data/network-zoo/digits/\d+\.png)"[^>]*loading="lazy"', html)
    assert pictures and all((zoo_site / p).is_file() for p in pictures)
    assert all((zoo_site / p).stat().st_size < 1_000 for p in pictures)  # 28 x 28 grayscale
    assert html.count('<script src="static/js/zoo.js" defer></script>') == 1
    assert "<td class=\"numeric\">0 / 30</td>" in html and "<td class=\"numeric\">1 / 20</td>" in html  # the grid



@pytest.mark.browser
def test_the_zoo_page_draws_its_charts_and_pictures_without_a_console_error(zoo_site):
    from tests import chromium

    server, url = start_in_thread(zoo_site, prefix="/zoo/")
    try:
        browser = chromium.browser()
        w = Watched(browser, {urlparse(url).netloc})
        page = w.page
        page.set_default_timeout(LOADED_S * 1000)
        page.goto(url + "network-zoo.html")
        page.wait_for_load_state("load")
        page.wait_for_function("document.querySelectorAll('.zoo .plot .main-svg').length >= 2")
        points = page.evaluate("document.querySelector('[data-zoo-strategy] .plot').data.length")
        assert points == len(catalogue.ZOO_COMPUTATIONS) + 1  # a box per kind, and the stars
        page.select_option("[data-zoo-strategy] [data-control=metric]", "flops")
        page.select_option("[data-zoo-strategy] [data-control=group]", "activation")
        axis = page.evaluate("document.querySelector('[data-zoo-strategy] .plot').layout.yaxis.type")
        assert axis == "log"
        images = page.locator(".zoo-digits img")
        for i in range(images.count()):  # lazy: scroll each into view, then it must have loaded
            images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("[...document.querySelectorAll('.zoo-digits img')]"
                               ".every(img => img.complete && img.naturalWidth === 28)")
        page.wait_for_timeout(300)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "network-zoo.png"), full_page=True)
        assert w.problems == []
        w.close()
    finally:
        server.shutdown()
