"""The README's "Adding an investigation", followed literally in a fresh copy of the checkout.

The copy holds what a clone of this working tree would: every file git tracks or would track
(``git ls-files --cached --others --exclude-standard``), none that it ignores. What ``make`` would
install stands in as it would be after ``make``: ``node_modules/`` (pinned by package-lock.json)
is linked, and the activated ``.venv`` is this interpreter, on whose path the copy comes first.
The data is the offline folder, as the README says to give it on a machine without a network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from battleground.core import records
from tests.conftest import ROOT

SECTION = "### Adding an investigation"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
WRITE = re.compile(r"Write `([^`]+)`")


def steps(readme: str) -> list[tuple[str, str, str]]:
    """The section's steps in order: ``("write", path, text)`` for each block it says to write (the
    file named by the last "Write `path`" before it), ``("run", command, "")`` for each line of a
    ``sh`` block."""
    assert SECTION in readme, f"README.md has no {SECTION!r} section"
    lines, fenced = [], False
    for line in readme.split(SECTION + "\n", 1)[1].splitlines(keepends=True):
        if not fenced and re.match(r"#{1,3} ", line):  # the next heading, outside a code block
            break
        fenced ^= line.startswith("```")
        lines.append(line)
    section = "".join(lines)
    found, position, path = [], 0, None
    for block in FENCE.finditer(section):
        named = WRITE.findall(section[position:block.start()])
        path = named[-1] if named else path
        language, body = block.groups()
        if language == "sh":
            found += [("run", line, "") for line in body.splitlines() if line.strip()]
        else:
            assert path is not None, f"a {language} block of {SECTION!r} says no file to write it to"
            found.append(("write", path, body))
            path = None  # each block names its own file
        position = block.end()
    return found


def fresh_copy(destination: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not in a clone of it
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    (destination / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return destination


def activated_environment(checkout: Path, bin_dir: Path, data_dir: Path) -> dict[str, str]:
    """What ``source .venv/bin/activate`` gives a shell, for this interpreter and ``checkout``."""
    bin_dir.mkdir()
    for name, command in (("battleground", '-m battleground "$@"'), ("python", '"$@"')):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" {command}\n')
        script.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith("BATTLEGROUND_")}
    return {**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", "PYTHONPATH": str(checkout),
            "BATTLEGROUND_DATA_DIR": str(data_dir)}


def test_the_readme_steps_for_a_section_are_found_in_order():
    readme = ("intro\n### Adding an investigation\n1. Write `a/b.py`:\n\n```python\nx = 1\n```\n\n"
              "```sh\nbattleground list b   # a comment\n\nls\n```\n### Next\n```sh\nnot this\n```\n")
    assert steps(readme) == [("write", "a/b.py", "x = 1\n"), ("run", "battleground list b   # a comment", ""),
                             ("run", "ls", "")]


@pytest.mark.slow
def test_adding_an_investigation_as_the_readme_says_works_in_a_fresh_checkout(tmp_path, data_dir):
    checkout = fresh_copy(tmp_path / "checkout")
    env = activated_environment(checkout, tmp_path / "bin", data_dir)
    todo = steps((checkout / "README.md").read_text(encoding="utf-8"))
    written = [path for kind, path, _ in todo if kind == "write"]
    assert len(written) == 2 and any(p.startswith("experiments/") for p in written) \
        and any(p.startswith("site_src/") for p in written), todo
    name = Path(next(p for p in written if p.startswith("site_src/"))).stem
    outputs = []
    for kind, what, text in todo:
        if kind == "write":
            assert not (checkout / what).exists(), f"{what} exists already: the README's example must be new"
            (checkout / what).write_text(text, encoding="utf-8")
            continue
        done = subprocess.run(["bash", "-c", what], cwd=checkout, env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0 and "Traceback" not in done.stderr, f"{what}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)

    assert any(f"{name}:" in out and "not run" in out for out in outputs)  # the listing
    smoke = records.load_runs(checkout / records.SMOKE_RUNS_DIR, name)
    real = records.load_runs(checkout / "runs", name)
    assert smoke and all(records.is_smoke(r) for r in smoke)
    assert real and all(not records.is_smoke(r) and r["status"] == "complete" for r in real)
    assert (checkout / "_site" / f"{name}.html").is_file()
    assert not (ROOT / "runs" / name).exists() and not (ROOT / "site_src" / f"{name}.md").exists()
