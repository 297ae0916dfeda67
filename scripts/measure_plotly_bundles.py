"""Plotly bundles compared in headless Chromium: size, gzip size, the time from navigation until
the bundle has run (cold cache, served over HTTP on 127.0.0.1), and which of the trace types the
site draws or may draw (scatter, heatmap, box) it has.

    python scripts/measure_plotly_bundles.py [--runs 5] BUNDLE.js [BUNDLE.js ...]

With no bundle, it measures the one the site ships (PLOTLY_BUNDLE in battleground/site/assets.py,
from node_modules/). Other bundles are npm packages too (plotly.js-dist-min, the full one;
plotly.js-basic-dist-min): install one anywhere (npm install plotly.js-dist-min@VERSION) and pass
its .min.js.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from battleground.site.assets import PLOTLY_BUNDLE  # noqa: E402
from battleground.site.serve import start_in_thread  # noqa: E402

TRACES = ("scatter", "heatmap", "box")
PAGE = """<!doctype html><meta charset="utf-8"><div id="plot" style="width:600px;height:400px"></div>
<script src="bundle.js" onload="window.ranAt = performance.now()"></script>"""
# the trace types the bundle registers
DRAWS = "types => { const known = Object.keys(Plotly.PlotSchema.get().traces); return types.map(t => known.includes(t)); }"


def measure(bundle: Path, runs: int, browser) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="plotly-bundle-"))
    try:
        shutil.copy(bundle, folder / "bundle.js")
        (folder / "index.html").write_text(PAGE, encoding="utf-8")
        server, url = start_in_thread(folder)
        times, draws = [], None
        for _ in range(runs):
            context = browser.new_context()  # a cold cache each time
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(url + "index.html", wait_until="load")
            times.append(page.evaluate("window.ranAt"))  # ms since navigation began
            draws = dict(zip(TRACES, page.evaluate(DRAWS, list(TRACES))))
            context.close()
        server.shutdown()
    finally:
        shutil.rmtree(folder)
    data = bundle.read_bytes()
    return {"bundle": bundle.name, "MB": len(data) / 1e6, "gzip MB": len(gzip.compress(data)) / 1e6,
            "ms to run (median)": statistics.median(times), "ms (min)": min(times), "traces": draws}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from tests.test_site_browser import CHROMIUM_ARGS

    chromium = os.environ.get("BATTLEGROUND_CHROMIUM") or shutil.which("chromium") or "chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for bundle in args.bundles or [ROOT / "node_modules" / PLOTLY_BUNDLE]:
            r = measure(bundle, args.runs, browser)
            drawn = ", ".join(f"{t} {'yes' if ok else 'NO'}" for t, ok in r["traces"].items())
            print(f"{r['bundle']:<28} {r['MB']:5.2f} MB ({r['gzip MB']:.2f} MB gzip)  "
                  f"runs {r['ms to run (median)']:6.0f} ms after navigation (median of {args.runs}, "
                  f"min {r['ms (min)']:.0f})  has: {drawn}")
        browser.close()


if __name__ == "__main__":
    main()
