"""One headless Chromium per test process, shared by every browser test.

Playwright's sync API runs one instance per thread: a module that started its own while another
module's was still open failed with "using Playwright Sync API inside the asyncio loop" once the
test files shared a worker. The conftest closes it when the session ends.
"""

from __future__ import annotations

_running: dict = {}


def browser():
    """The process's Chromium, launched on first use."""
    from playwright.sync_api import sync_playwright

    from tests.test_site_browser import CHROMIUM_ARGS, chromium_path

    if "browser" not in _running or not _running["browser"].is_connected():
        _running["playwright"] = _running.get("playwright") or sync_playwright().start()
        _running["browser"] = _running["playwright"].chromium.launch(executable_path=chromium_path(),
                                                                     args=CHROMIUM_ARGS)
    return _running["browser"]


def stop() -> None:
    """Close the browser and Playwright, if they were started."""
    if "browser" in _running:
        _running.pop("browser").close()
    if "playwright" in _running:
        _running.pop("playwright").stop()
