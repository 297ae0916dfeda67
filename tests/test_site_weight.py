"""Page weight: every investigation page stays under its size budget with full-size data, and
no download file is huge.

A budget, not a timing, so a test pins it: 72 depth variants and 16 activation variants, three
seeds each, 3,000 epochs a run, as the published battleground's grid would leave them. The page's
HTML (inline chart data and tables included; shared scripts, styles and fonts not) must stay under
300 KB, so a reader on a slow connection gets the page in seconds; the downloads keep every epoch,
one pair of files per variant, each a few MB at most.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from battleground.core import splits
from battleground.site import content, downloads, pages
from battleground.site.context import Context
from experiments import discover
from battleground.core.config import DEFAULTS
from tests.site_fixtures import write_run

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 300 * 1024  # bytes of HTML per investigation page
DOWNLOAD_BUDGET = 5 * 1024 * 1024  # bytes of the largest download file
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
        # the network zoo's thousand runs are 4 epochs each by declaration, with the per-image
        # predictions its page reads (digits, ensembles)
        epochs = inv.config.epochs if name == "network-zoo" else EPOCHS
        for v in inv.variants:
            collapse = (v.kwargs.get("activation") == COLLAPSED["activation"]
                        and v.kwargs.get("depth", 0) >= COLLAPSED["min_depth"])
            for seed in inv.seeds_of(v):
                write_run(runs, name, v, seed, epochs=epochs, collapsed=collapse,
                          labels=labels if name == "network-zoo" else None)
    return content.read_context(ROOT / "site_src", runs, investigations, ROOT / "battleground" / "train" / "models.py")


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
