"""The golden test: the sample site builds exactly as committed in tests/golden/expected/.

Regenerate after an intended change with ``python -m tests.golden.regenerate`` (see
tests/golden/README.md) and review the diff.
"""

from __future__ import annotations

import difflib

from tests.golden import sample
from tests.golden.regenerate import compared, expected_listing

REGENERATE = "python -m tests.golden.regenerate"


def test_sample_site_matches_the_committed_expected_output(tmp_path):
    site = tmp_path / "site"
    result = sample.build(site)
    listing = (sample.EXPECTED / "FILES.txt").read_text(encoding="utf-8")
    assert expected_listing(site) == listing, f"the site's files changed; if intended, run {REGENERATE}"
    for relative in sorted(result.written):
        if not compared(relative):
            continue
        actual = (site / relative).read_text(encoding="utf-8")
        expected = (sample.EXPECTED / relative).read_text(encoding="utf-8")
        if actual != expected:
            diff = "\n".join(line[:300] for line in difflib.unified_diff(expected.splitlines(), actual.splitlines(),
                                                f"expected/{relative}", f"built/{relative}", n=1))
            raise AssertionError(f"{relative} differs from the golden copy (if intended, run {REGENERATE}):\n"
                                 + diff[:4000])


def test_two_builds_are_byte_identical(tmp_path):
    first, second = sample.build(tmp_path / "a"), sample.build(tmp_path / "b")
    assert first.written == second.written
    for relative in first.written:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
