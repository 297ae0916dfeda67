"""Page weight: every investigation page stays under its size budget with full-size data.

A budget, not a timing, so a test pins it: 72 depth variants and 16 activation variants, three
seeds each, 3,000 epochs a run, as the published battleground's grid would leave them. The page's
HTML (inline chart data and tables included; shared scripts, styles and fonts not) must stay under
300 KB, so a reader on a slow connection gets the page in seconds; the downloads keep every epoch.
"""

from __future__ import annotations

from pathlib import Path

from battleground.site import content, pages
from experiments import discover
from tests.site_fixtures import write_run

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 300 * 1024  # bytes of HTML per investigation page
EPOCHS = 3_000
# Every deep sigmoid variant collapses, as the published battleground reported; the labels
# "(collapsed)" and the status cells must fit in the budget too.
COLLAPSED = {"activation": "sigmoid", "min_depth": 10}


def test_every_investigation_page_is_under_300_kb_with_full_size_runs(tmp_path):
    runs = tmp_path / "runs"
    investigations = discover()
    for name, inv in investigations.items():
        for v in inv.variants:
            collapse = (v.kwargs.get("activation") == COLLAPSED["activation"]
                        and v.kwargs.get("depth", 0) >= COLLAPSED["min_depth"])
            for seed in inv.seeds:
                write_run(runs, name, v, seed, epochs=EPOCHS, collapsed=collapse)
    context = content.read_context(ROOT / "site_src", runs, investigations, ROOT / "battleground" / "models.py")
    env = pages.environment()
    # The page exactly as the build writes it (render_site does the same), without the ~100 MB of
    # every-epoch download files that a full build would spend most of its time writing.
    sizes = {p.filename: len(pages.render_page(env, p, context).encode("utf-8"))
             for p in context.investigation_pages()}
    assert set(sizes) == {"activation-functions.html", "depth-of-architecture.html"}
    over = {name: f"{size / 1024:.0f} KB" for name, size in sizes.items() if size >= BUDGET}
    assert not over, f"investigation pages over the {BUDGET // 1024} KB budget: {over}"
