"""MNIST-shaped data sets as tensors resident on the training device.

Two sources, one result. By default the Hugging Face hub (``ylecun/mnist``,
``zalando-datasets/fashion_mnist``); offline, a local folder of the four standard IDX files
(``--data-dir`` or ``$BATTLEGROUND_DATA_DIR``). Either way the 10,000 test images are split with a
fixed seed into validation and held-out test images, pixels become float32 in [0, 1], and every
split is moved to the device once: training then batches by indexing, with no DataLoader and no
per-batch copies.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from battleground.core.config import TrainConfig

DATA_DIR_ENV = "BATTLEGROUND_DATA_DIR"
HUB_REPOS = {"mnist": "ylecun/mnist", "fashion-mnist": "zalando-datasets/fashion_mnist"}
IDX_FILES = {  # array name -> standard IDX file name (optionally with .gz)
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049  # IDX: unsigned bytes, 3 dims / 1 dim
IMAGE_SIDE = 28
CLASSES = 10  # as battleground.core.records.CLASSES: every data set so far has ten


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


@dataclass(frozen=True)
class Splits:
    """Train, validation and test tensors on one device: images float32 (N, 1, 28, 28) in [0, 1],
    labels int64 (N,)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str


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
    check_arrays(Arrays(**arrays, source=str(folder)))
    return Arrays(**arrays, source="idx files")


def check_arrays(arrays: Arrays) -> None:
    """Refuse data that would train "successfully" on nothing: no images in a part, labels
    outside the classes, or training labels of one class only (which any net learns by
    predicting it: a run that looks like a collapse, not a data error)."""
    for part in ("train", "test"):
        labels = getattr(arrays, f"{part}_labels")
        if len(labels) == 0:
            raise DataError(f"{arrays.source}: expected {part} images, found none (the IDX header counts 0); "
                            "point --data-dir at a complete data set")
        if labels.max() >= CLASSES:
            raise DataError(f"{arrays.source}: expected {part} labels from 0 to {CLASSES - 1}, found {labels.max()}")
    _check_classes(arrays.train_labels, f"{arrays.source}: the {len(arrays.train_labels)} training images")


def _check_classes(labels: np.ndarray, what: str) -> None:
    classes = np.unique(labels)
    if len(classes) < 2:
        raise DataError(f"{what} are all of class {classes[0]}; expected at least two classes to train on")


# --- Hugging Face hub ---------------------------------------------------------------------------


def load_hub(dataset: str, data_files: dict[str, str] | None = None) -> Arrays:
    """A data set from the Hugging Face hub; ``data_files`` (split -> parquet file) loads local
    parquet files of the hub's layout instead (an ``image`` and a ``label`` column)."""
    import datasets  # imported here: only this source needs it, and it is slow to import

    if data_files is None:
        loaded, source = datasets.load_dataset(HUB_REPOS[dataset]), f"huggingface:{HUB_REPOS[dataset]}"
    else:
        loaded, source = datasets.load_dataset("parquet", data_files=data_files), "parquet files"
    arrays = {}
    for part in ("train", "test"):
        split = loaded[part]
        arrays[f"{part}_images"] = np.stack([np.asarray(image, dtype=np.uint8) for image in split["image"]])
        arrays[f"{part}_labels"] = np.asarray(split["label"], dtype=np.uint8)
    return Arrays(**arrays, source=source)


# --- splits on the device -----------------------------------------------------------------------


def load_arrays(dataset: str, data_dir: Path | str | None = None) -> Arrays:
    """``dataset`` from ``data_dir`` (else ``$BATTLEGROUND_DATA_DIR``) when given, else the hub."""
    if dataset not in HUB_REPOS:
        raise DataError(f"unknown data set {dataset!r}; known: {', '.join(HUB_REPOS)}")
    data_dir = data_dir or os.environ.get(DATA_DIR_ENV) or None
    if data_dir is None:
        return load_hub(dataset)
    return load_idx(idx_folder(data_dir, dataset))


def _images(array: np.ndarray, device: torch.device) -> torch.Tensor:
    pixels = torch.tensor(array, device=device)  # copied as uint8, scaled on the device
    return (pixels.float() / 255.0).unsqueeze(1)


def _labels(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.tensor(array, device=device).long()


def make_splits(arrays: Arrays, config: TrainConfig, device: torch.device | str) -> Splits:
    """Train (the first ``config.train_size`` images, if set), validation and test tensors on
    ``device``. The test images are split by a permutation seeded with ``config.val_split_seed``,
    so every run validates on the same images."""
    device = torch.device(device)
    check_arrays(arrays)
    n_train, n_test = len(arrays.train_images), len(arrays.test_images)
    if config.train_size is not None and config.train_size > n_train:
        raise DataError(f"train_size {config.train_size} exceeds the {n_train} training images ({arrays.source})")
    if config.val_size + config.test_size > n_test:
        raise DataError(
            f"val_size {config.val_size} + test_size {config.test_size} exceed the {n_test} test images"
        )
    order = torch.randperm(n_test, generator=torch.Generator().manual_seed(config.val_split_seed)).numpy()
    val, test = order[: config.val_size], order[config.val_size : config.val_size + config.test_size]
    train = slice(None, config.train_size)
    if config.train_size is not None:
        _check_classes(arrays.train_labels[train], f"the first {config.train_size} training images")
    return Splits(
        train_x=_images(arrays.train_images[train], device),
        train_y=_labels(arrays.train_labels[train], device),
        val_x=_images(arrays.test_images[val], device),
        val_y=_labels(arrays.test_labels[val], device),
        test_x=_images(arrays.test_images[test], device),
        test_y=_labels(arrays.test_labels[test], device),
        source=arrays.source,
    )
