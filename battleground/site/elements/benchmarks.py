"""``{{ benchmarks }}``: one table per ``battleground bench`` results file of ``runs/benchmarks/``
(:mod:`battleground.site.performance`), each file offered for download as committed."""

from __future__ import annotations

from battleground.site import performance
from battleground.site.context import Context, Page
from battleground.site.elements.base import Element, Rendering

NO_BENCHMARKS = "No benchmark results yet"


def render(r: Rendering, _: str | None) -> str:
    devices = [performance.benchmark_view(b) for b in r.context.benchmarks]
    return r.template("benchmarks.html").render(devices=devices, no_results=NO_BENCHMARKS)


def files(page: Page, context: Context) -> dict[str, str]:
    if "benchmarks" not in page.kinds:
        return {}
    return performance.download_files(context.benchmarks)


ELEMENT = Element(kind="benchmarks", render=render, site_wide=True, files=files)
