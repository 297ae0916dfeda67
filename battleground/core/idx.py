"""MNIST-shaped data sets from IDX files, with numpy alone.

The torch side loads training data through this reader (``battleground.train.data``), and the
site side can read the very same images to show them, without torch: an image's index in a
record's per-image predictions is its index in the validation or test split
(``battleground.core.splits``), which indexes the IDX test images read here.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IDX_FILES = {  # array name -> standard IDX file name (optionally with .gz)
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049  # IDX: unsigned bytes, 3 dims / 1 dim
IMAGE_SIDE = 28


class DataError(Exception):
    """Data that cannot be loaded, naming the file or folder and what was expected."""


@dataclass(frozen=True)
class Arrays:
    """A data set as loaded: uint8 images (N, 28, 28) and uint8 labels (N,), train and test."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # where it came from, for the run record: "idx files" or "huggingface:<repo>"


# --- IDX files ----------------------------------------------------------------------------------


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array in one IDX file (gzipped if its name ends in .gz), checked against ``magic``."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as error:  # gzip raises these for a truncated or non-gzip file
        raise DataError(f"{path}: cannot read the file ({error})") from None
    dims = 3 if magic == IMAGE_MAGIC else 1
    header_size = 4 * (1 + dims)
    if len(raw) < header_size:
        raise DataError(f"{path}: expected an IDX header of {header_size} bytes, found {len(raw)} bytes")
    header = np.frombuffer(raw, dtype=">i4", count=1 + dims)
    if header[0] != magic:
        kind = "images" if magic == IMAGE_MAGIC else "labels"
        raise DataError(f"{path}: expected IDX magic number {magic} ({kind}), found {header[0]}")
    shape = tuple(int(d) for d in header[1:])
    if dims == 3 and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{path}: expected {IMAGE_SIDE}x{IMAGE_SIDE} images, found {shape[1]}x{shape[2]}")
    expected_size = header_size + int(np.prod(shape))
    if len(raw) != expected_size:
        raise DataError(
            f"{path}: expected {expected_size} bytes for {'x'.join(map(str, shape))} values, "
            f"found {len(raw)} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def _idx_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def idx_folder(data_dir: Path | str, dataset: str) -> Path:
    """The folder holding ``dataset``'s IDX files: ``data_dir`` itself, or its subfolder ``dataset``."""
    root = Path(data_dir)
    for folder in (root, root / dataset):
        if _idx_file(folder, IDX_FILES["train_images"]) is not None:
            return folder
    expected = ", ".join(f"{name}[.gz]" for name in IDX_FILES.values())
    raise DataError(
        f"{root}: expected the IDX files {expected} in this folder or in its subfolder {dataset}/"
    )


def load_idx(folder: Path | str) -> Arrays:
    """A data set from a folder of the four standard IDX files."""
    folder = Path(folder)
    arrays = {}
    for key, name in IDX_FILES.items():
        path = _idx_file(folder, name)
        if path is None:
            raise DataError(f"{folder}: expected the file {name} or {name}.gz, found neither")
        arrays[key] = read_idx(path, IMAGE_MAGIC if key.endswith("images") else LABEL_MAGIC)
        if len(arrays[key]) == 0:
            raise DataError(f"{path}: expected {key.replace('_', ' ')}, found none (the IDX header counts 0); "
                            "point --data-dir at a complete data set")
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if len(images) != len(labels):
            raise DataError(
                f"{folder}: expected as many {part} labels as {part} images, "
                f"found {len(labels)} labels for {len(images)} images"
            )
    return Arrays(**arrays, source="idx files")
