"""The network zoo's stored digit pictures: the test images its page can show, committed beside
its records so that a plain build (no ``--data-dir``) shows them.

``runs/<investigation>/digits/test-images.idx.gz`` is two IDX arrays back to back, gzipped: the
indices of the test images it holds (IDX signed 32-bit integers, one dimension, magic 3073;
strictly increasing, each below 10,000) and those images (IDX unsigned bytes, N x 28 x 28, magic
2051, the layout of ``t10k-images-idx3-ubyte``). ``python scripts/zoo_digits.py`` makes it from
the IDX test images: every weird and confusing image of the records it finds (the galleries show
the first of those), some 350 images in about 60 KB. A build given the IDX files cuts the
pictures from them instead; a build without reads this file, as untrusted input like a record:
anything wrong with it is a :class:`~battleground.site.context.SiteError` naming the file.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path

import numpy as np

from battleground.core import files, idx
from battleground.site.context import SiteError

FOLDER, NAME = "digits", "test-images.idx.gz"
INDEX_MAGIC = 0x0C01  # IDX: signed 32-bit integers (type 0x0C), one dimension
TEST_IMAGES = 10_000  # the test images of MNIST (and of Fashion-MNIST): every index is below
REFRESH = "python scripts/zoo_digits.py --data-dir DIR"
WHAT = "the network zoo's stored digit pictures (gzipped IDX test-image indices, then their images)"
_SIDE = idx.IMAGE_SIDE
_LARGEST = 8 + 4 * TEST_IMAGES + 16 + TEST_IMAGES * _SIDE * _SIDE  # unzipped, every test image


def path_in(runs_dir: Path | str, investigation: str) -> Path:
    """Where the investigation's stored pictures are: ``runs/<investigation>/digits/``."""
    return Path(runs_dir) / investigation / FOLDER / NAME


def encode(indices, images: np.ndarray) -> bytes:
    """The file's bytes for the test images ``images`` (N x 28 x 28, uint8) of ``indices``; the
    same inputs give the same bytes (no time stamp)."""
    order = np.argsort(np.asarray(indices), kind="stable")
    indices, images = np.asarray(indices, dtype=">i4")[order], np.asarray(images, dtype=np.uint8)[order]
    raw = (np.array([INDEX_MAGIC, len(indices)], ">i4").tobytes() + indices.tobytes()
           + np.array([idx.IMAGE_MAGIC, len(images), _SIDE, _SIDE], ">i4").tobytes() + images.tobytes())
    return gzip.compress(raw, 9, mtime=0)


def decode(data: bytes, path: Path | str) -> dict[int, np.ndarray]:
    """Test-image index -> 28 x 28 image, from the file's bytes; a :class:`SiteError` naming
    ``path`` for anything but a well-formed file."""
    def fail(field: str, expected: str, found=...):
        raise SiteError(path, field, f"{expected} (remake the file: {REFRESH})", found)

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
            raw = unzipped.read(_LARGEST + 1)
    except (OSError, EOFError, zlib.error) as error:
        fail("(file)", f"{WHAT}, gzipped", str(error))
    if len(raw) > _LARGEST:
        fail("(file)", f"{WHAT}, at most {TEST_IMAGES:,} images ({_LARGEST:,} bytes unzipped)", "more")
    if len(raw) < 8:
        fail("(file)", "an IDX header of 8 bytes", f"{len(raw)} bytes")
    magic, count = (int(v) for v in np.frombuffer(raw, ">i4", 2))
    if magic != INDEX_MAGIC:
        fail("(magic)", f"IDX magic number {INDEX_MAGIC} (32-bit indices, one dimension)", magic)
    if not 0 < count <= TEST_IMAGES:
        fail("(count)", f"between 1 and {TEST_IMAGES:,} indices", count)
    header = 8 + 4 * count + 16
    if len(raw) < header:
        fail("(file)", f"{count} indices and an image header ({header} bytes)", f"{len(raw)} bytes")
    indices = np.frombuffer(raw, ">i4", count, 8).astype(np.int64)
    if indices.min() < 0 or indices.max() >= TEST_IMAGES or np.any(np.diff(indices) <= 0):
        bad = next(int(v) for i, v in enumerate(indices) if not 0 <= v < TEST_IMAGES
                   or (i and v <= indices[i - 1]))
        fail("indices", f"strictly increasing test-image indices from 0 to {TEST_IMAGES - 1}", bad)
    image_magic, images, rows, columns = (int(v) for v in np.frombuffer(raw, ">i4", 4, 8 + 4 * count))
    if image_magic != idx.IMAGE_MAGIC:
        fail("(magic)", f"IDX magic number {idx.IMAGE_MAGIC} (images) after the indices", image_magic)
    if (images, rows, columns) != (count, _SIDE, _SIDE):
        fail("images", f"{count} images of {_SIDE}x{_SIDE}, one per index", f"{images} of {rows}x{columns}")
    if len(raw) != header + count * _SIDE * _SIDE:
        fail("(file)", f"{header + count * _SIDE * _SIDE} bytes for {count} images", f"{len(raw)} bytes")
    pictures = np.frombuffer(raw, np.uint8, offset=header).reshape(count, _SIDE, _SIDE)
    return {int(i): pictures[n] for n, i in enumerate(indices)}


def read(path: Path | str) -> dict[int, np.ndarray] | None:
    """The stored pictures at ``path`` (see :func:`decode`), or None where no file is there."""
    if not os.path.lexists(path):
        return None
    return decode(files.read_regular_bytes(path, SiteError, WHAT, f"remake it: {REFRESH}"), path)


def write(path: Path | str, indices, images: np.ndarray) -> int:
    """Write the stored pictures; returns the file's size in bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = encode(indices, images)
    decode(data, path)  # what is written reads back
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return len(data)
