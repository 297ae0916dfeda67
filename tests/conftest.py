"""Shared test fixtures: the repository root and the real MNIST files for offline runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path | None:
    """The offline data folder: $BATTLEGROUND_DATA_DIR, else ../shared/data beside the checkout."""
    configured = os.environ.get("BATTLEGROUND_DATA_DIR")
    candidate = Path(configured) if configured else ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding mnist/ and fashion-mnist/ as IDX files. Tests need the real data."""
    root = data_root()
    if root is None:
        pytest.fail("the MNIST IDX files are missing: set BATTLEGROUND_DATA_DIR or put them in ../shared/data")
    return root


@pytest.fixture(scope="session", autouse=True)
def _close_chromium():
    """Close the shared Chromium of the browser tests (:mod:`tests.chromium`) when the session ends."""
    yield
    from tests import chromium

    chromium.stop()


@pytest.fixture(scope="session")
def browser():
    """The shared headless Chromium of the browser tests (:mod:`tests.chromium`)."""
    from tests import chromium

    return chromium.browser()


@pytest.fixture(scope="session")
def published_site(tmp_path_factory, data_dir) -> Path:
    """The site readers get: ``site_src/`` and the committed runs, the zoo's pictures included,
    built once for every browser test of the published pages, and built as the authors publish
    it (``--strict``): a committed run that overturns a page's claim fails these tests."""
    from battleground.site import builder

    out = tmp_path_factory.mktemp("published") / "site"
    builder.build(out, strict=True, data_dir=data_dir)
    return out
