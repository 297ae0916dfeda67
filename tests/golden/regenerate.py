"""Regenerate the golden test's fixture runs and expected output: ``python -m tests.golden.regenerate``.

Run it from the repository root after an intended change to the site's output, then review the
diff of ``tests/golden/`` before committing it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.golden import sample

COMPARED_SUFFIXES = (".html", ".json", ".csv")


def compared(relative: str) -> bool:
    """Pages and data files are compared by content; assets (vendored or our own) by name only."""
    return not relative.startswith("static/") and relative.endswith(COMPARED_SUFFIXES)


def expected_listing(site: Path) -> str:
    """The names of every file of the site, one a line: what the golden test compares them by."""
    return "".join(f"{p.relative_to(site).as_posix()}\n" for p in sorted(site.rglob("*")) if p.is_file())


def main() -> None:
    shutil.rmtree(sample.RUNS, ignore_errors=True)
    sample.write_runs(sample.RUNS)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        result = sample.build(site)
        shutil.rmtree(sample.EXPECTED, ignore_errors=True)
        for relative in sorted(result.written):
            if compared(relative):
                target = sample.EXPECTED / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(site / relative, target)
        (sample.EXPECTED / "FILES.txt").write_text(expected_listing(site), encoding="utf-8")
    print(f"wrote {sample.RUNS} and {sample.EXPECTED}")


if __name__ == "__main__":
    main()
