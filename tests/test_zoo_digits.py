"""The network zoo's digit pictures in a plain build: read from the test images committed in
``runs/network-zoo/digits/`` (``battleground.site.zoo_digits``), checked like a record, and
reported in one line when missing or stale."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from battleground.core import idx
from battleground.site import builder, zoo_digits
from battleground.site.context import SiteError

ROOT = Path(__file__).resolve().parent.parent
ZOO = "network-zoo"
STORED = zoo_digits.path_in(ROOT / "runs", ZOO)
INDEX = "---\ntitle: Home\nsummary: The zoo alone.\norder: 0\n---\n\nThe zoo alone.\n"


def _zoo_site_source(tmp_path: Path) -> Path:
    """A site of the home page and the real network-zoo page."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    shutil.copyfile(ROOT / "site_src" / f"{ZOO}.md", src / f"{ZOO}.md")
    return src


def _pictures(out: Path) -> list[str]:
    return re.findall(r'<img src="(data/network-zoo/digits/\d+\.png)"', (out / f"{ZOO}.html").read_text("utf-8"))


def test_a_plain_build_shows_every_digit_picture_of_the_real_zoo_page(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BATTLEGROUND_DATA_DIR"}  # no data folder at all
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, "build.py", "--out", str(out), "--src", str(_zoo_site_source(tmp_path))],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert zoo_digits.NAME not in said, f"the stored pictures are stale; remake them: {zoo_digits.REFRESH}\n{said}"
    pictures = _pictures(out)
    assert len(pictures) > 10 and all((out / p).is_file() for p in pictures)
    page = (out / f"{ZOO}.html").read_text("utf-8")
    assert "missing from this build" not in page and "pass --data-dir" not in page
    assert STORED.stat().st_size < 150_000  # a few hundred 28 x 28 images


def test_the_stored_pictures_are_the_mnist_test_images(data_dir):
    stored = zoo_digits.read(STORED)
    assert stored and len(stored) <= 1_000
    folder = idx.idx_folder(data_dir, "mnist")
    test = idx.read_idx(next(folder.glob("t10k-images-idx3-ubyte*")), idx.IMAGE_MAGIC)
    assert all(np.array_equal(test[i], image) for i, image in stored.items())


def _raw(indices, images_header=None, images=None) -> bytes:
    indices = np.asarray(indices, ">i4")
    count = len(indices)
    header = images_header or (idx.IMAGE_MAGIC, count, 28, 28)
    body = images if images is not None else bytes(count * 784)
    return (np.array([zoo_digits.INDEX_MAGIC, count], ">i4").tobytes() + indices.tobytes()
            + np.array(header, ">i4").tobytes() + body)


DAMAGED = {
    "not gzip": (b"P5 28 28", "gzipped"),
    "cut short": (zoo_digits.encode([1, 2], np.zeros((2, 28, 28), np.uint8))[:-9], "gzipped"),
    "image magic first": (gzip.compress(np.array([2051, 1, 28, 28], ">i4").tobytes() + bytes(784)), "3073"),
    "no images": (gzip.compress(np.array([zoo_digits.INDEX_MAGIC, 0], ">i4").tobytes()), "between 1"),
    "indices out of order": (gzip.compress(_raw([5, 3])), "strictly increasing"),
    "an index past the test set": (gzip.compress(_raw([3, 10_000])), "strictly increasing"),
    "a negative index": (gzip.compress(_raw([-1, 3])), "strictly increasing"),
    "fewer images than indices": (gzip.compress(_raw([1, 2], (idx.IMAGE_MAGIC, 1, 28, 28), bytes(784))), "2 images"),
    "images of another size": (gzip.compress(_raw([1], (idx.IMAGE_MAGIC, 1, 32, 32), bytes(1024))), "28x28"),
    "label magic": (gzip.compress(_raw([1], (idx.LABEL_MAGIC, 1, 28, 28))), "2051"),
    "bytes left over": (gzip.compress(_raw([1]) + b"\0"), "bytes"),
}


@pytest.mark.parametrize("case", DAMAGED)
def test_a_damaged_file_is_one_line_naming_it_and_the_command(tmp_path, case):
    data, expected = DAMAGED[case]
    path = tmp_path / zoo_digits.NAME
    path.write_bytes(data)
    with pytest.raises(SiteError) as raised:
        zoo_digits.read(path)
    message = str(raised.value)
    assert "\n" not in message and str(path) in message and expected in message
    assert zoo_digits.REFRESH in message


def test_what_is_written_reads_back_sorted(tmp_path):
    images = np.arange(3 * 784, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
    path = tmp_path / "d" / zoo_digits.NAME
    zoo_digits.write(path, [9, 2, 5], images)
    stored = zoo_digits.read(path)
    assert list(stored) == [2, 5, 9] and np.array_equal(stored[9], images[0])
    assert zoo_digits.read(tmp_path / "none.idx.gz") is None
    assert zoo_digits.encode([1], images[:1]) == zoo_digits.encode([1], images[:1])  # no time stamp


@pytest.fixture(scope="module")
def copied_runs(tmp_path_factory) -> Path:
    """The zoo's real records and split files, without the stored pictures."""
    runs = tmp_path_factory.mktemp("runs")
    (runs / ZOO).mkdir()
    for record in (ROOT / "runs" / ZOO).glob("*.json"):
        shutil.copyfile(record, runs / ZOO / record.name)
    shutil.copytree(ROOT / "runs" / "splits", runs / "splits")
    return runs


def test_without_the_file_the_build_says_so_in_one_line(copied_runs, tmp_path, monkeypatch):
    monkeypatch.delenv("BATTLEGROUND_DATA_DIR", raising=False)
    result = builder.build(tmp_path / "site", runs=copied_runs, src=_zoo_site_source(tmp_path))
    lines = [w for w in result.warnings if zoo_digits.NAME in w]
    assert len(lines) == 1 and "\n" not in lines[0] and "is missing" in lines[0] and zoo_digits.REFRESH in lines[0]
    page = (tmp_path / "site" / f"{ZOO}.html").read_text("utf-8")
    assert not _pictures(tmp_path / "site") and "pictures are missing from this build" in page


def test_a_stale_file_is_one_line_and_fails_strict(copied_runs, tmp_path, monkeypatch):
    from experiments import discover
    from battleground.site import runs, zoo_page

    monkeypatch.delenv("BATTLEGROUND_DATA_DIR", raising=False)
    data = runs.load_investigation(discover()[ZOO], copied_runs, [])
    shown = sorted(zoo_page.view(data, None, ROOT / "runs").pictures)
    assert shown, "the zoo page shows no digit pictures"
    stored = zoo_digits.read(STORED)
    kept = [i for i in sorted(stored) if i != shown[0]]  # the committed file less one picture the page shows
    path = zoo_digits.path_in(tmp_path, ZOO)
    zoo_digits.write(path, kept, np.stack([stored[i] for i in kept]))
    made = zoo_page.view(data, None, tmp_path)
    assert made.stale == (path, [shown[0]]) and len(made.pictures) == len(shown) - 1
    warnings: list[str] = []
    zoo_page.check(made, False, warnings)
    assert len(warnings) == 1 and f"#{shown[0]}" in warnings[0] and zoo_digits.REFRESH in warnings[0]
    with pytest.raises(SiteError) as raised:
        zoo_page.check(made, True, [])
    assert "\n" not in str(raised.value) and str(path) in str(raised.value) and "--strict" in str(raised.value)


def test_a_damaged_file_fails_the_build_naming_it(copied_runs, tmp_path, monkeypatch):
    monkeypatch.delenv("BATTLEGROUND_DATA_DIR", raising=False)
    runs = tmp_path / "runs"
    shutil.copytree(copied_runs, runs)
    bad = zoo_digits.path_in(runs, ZOO)
    bad.parent.mkdir()
    bad.write_bytes(b"not a picture")
    src = _zoo_site_source(tmp_path)
    with pytest.raises(SiteError) as raised:
        builder.build(tmp_path / "site", runs=runs, src=src)
    assert str(bad) in str(raised.value) and "\n" not in str(raised.value)
