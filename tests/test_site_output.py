"""The output folder: a build never replaces anything that is not a previous build, and a build
killed at any moment leaves the previous site in place and nothing behind that the next build
does not remove."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from battleground.site import builder, output
from tests.golden import sample
from tests.test_site_errors import ROOT, run_build, tree  # noqa: F401 - tree is a fixture


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build_into(tree: Path, out: Path):
    return builder.build(out, runs=tree / "runs", src=tree / "src", models=sample.MODELS)


@pytest.mark.parametrize("target", ["src", "runs", "runs/activation-functions", ".", "src/sub"])
def test_an_output_that_is_contains_or_lies_inside_an_input_is_refused(tree, target):
    before = snapshot(tree)
    out = (tree / target).resolve()
    with pytest.raises(output.OutputError) as caught:
        build_into(tree, out)
    assert str(out) in str(caught.value) and "choose" in str(caught.value)
    assert snapshot(tree) == before


@pytest.mark.parametrize("target", [ROOT, ROOT.parent, ROOT / "templates", ROOT / "static"])
def test_the_repository_and_its_inputs_are_never_an_output(tmp_path, target):
    with pytest.raises(output.OutputError):
        output.check(target.resolve(), {"templates": ROOT / "templates", "static": ROOT / "static"}, ROOT)


def test_build_py_out_dot_is_one_line_and_the_checkout_is_untouched(tree):
    # The in-process check first: were it to pass, the command below would replace the checkout.
    with pytest.raises(output.OutputError):
        output.check(ROOT, {}, ROOT)
    listing = sorted(p.name for p in ROOT.iterdir())
    done = subprocess.run([sys.executable, "build.py", "--out", "."], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "is or contains the repository" in done.stderr
    assert sorted(p.name for p in ROOT.iterdir()) == listing and (ROOT / ".git").exists()


def test_an_existing_file_is_not_turned_into_the_site(tree):
    target = tree / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    done = run_build(tree, "--out", str(target))
    assert done.returncode == 1 and "a file, not a folder" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_folder_no_build_wrote_is_refused_but_an_empty_one_is_used(tree):
    mine = tree / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(output.OutputError, match="no build wrote"):
        build_into(tree, mine)
    assert (mine / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    empty = tree / "empty"
    empty.mkdir()
    build_into(tree, empty)
    assert (empty / "index.html").is_file() and (empty / output.MARKER).is_file()


def test_a_previous_build_is_replaced(tree):
    site = tree / "site"
    assert (site / output.MARKER).is_file() and (site / "marker.txt").is_file()
    build_into(tree, site)
    assert not (site / "marker.txt").exists() and (site / "index.html").is_file()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_folders_a_killed_build_left_are_removed_by_the_next(tree):
    pid = _dead_pid()
    left = [tree / f".site.building-{pid}-abc123", tree / f".site.old-{pid}-x"]
    for folder in left:
        (folder / "static").mkdir(parents=True)
        (folder / "index.html").write_text("stale", encoding="utf-8")
    running = tree / f".site.building-{1}-live"  # pid 1 is alive: a build still running keeps its folder
    running.mkdir()
    build_into(tree, tree / "site")
    assert not any(folder.exists() for folder in left)
    assert running.is_dir()


def test_a_build_killed_at_random_moments_always_leaves_a_whole_site(tree):
    site = tree / "site"
    rng = random.Random(1729)
    for _ in range(6):
        args = [sys.executable, "build.py", "--src", str(tree / "src"), "--runs", str(tree / "runs"),
                "--models", str(sample.MODELS), "--out", str(site)]
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert (site / output.MARKER).is_file() and (site / "index.html").is_file(), "the site is never absent"
    build_into(tree, site)
    leftovers = [p.name for p in tree.iterdir() if p.name.startswith(".site.")]
    assert leftovers == [], leftovers
    shutil.rmtree(site)


def test_the_build_prints_its_pages_and_sums_the_rest_unless_asked_for_every_file(tree):
    quiet = run_build(tree)
    lines = quiet.stdout.strip().splitlines()
    pages = [line for line in lines if line.strip().split(" ")[0].endswith(".html")]
    assert quiet.returncode == 0 and len(lines) == len(pages) + 3  # data, assets, and the summary line
    assert "data files" in lines[-1] and "-v lists every file" in lines[-1]
    every = run_build(tree, "-v").stdout.strip().splitlines()
    written = [p for p in (tree / "site").rglob("*") if p.is_file() and p.name != output.MARKER]
    assert len(every) == len(written) + 1
