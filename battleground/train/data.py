"""MNIST-shaped data sets as tensors resident on the training device.

Two sources, one result. By default the Hugging Face hub (``ylecun/mnist``,
``zalando-datasets/fashion_mnist``); offline, a local folder of the four standard IDX files
(``--data-dir`` or ``$BATTLEGROUND_DATA_DIR``). Either way the 10,000 test images are split with a
fixed seed into validation and held-out test images, pixels become float32 in [0, 1], and every
split is moved to the device once: training then batches by indexing, with no DataLoader and no
per-batch copies.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from battleground.core.catalogue import DATASETS
from battleground.core.config import TrainConfig
from battleground.core.idx import (  # noqa: F401 - the IDX reader, re-exported for the torch side
    IDX_FILES, IMAGE_MAGIC, IMAGE_SIDE, LABEL_MAGIC, Arrays, DataError, idx_folder, load_idx, read_idx,
)

DATA_DIR_ENV = "BATTLEGROUND_DATA_DIR"
HUB_CHECK_S = 3  # how long the hub's host may take to accept a connection before we call the machine offline
HUB_REPOS = {name: spec.hub_repo for name, spec in DATASETS.items()}  # from the catalogue
CLASSES = 10  # every data set of the catalogue has ten (digit pairs are made from them)


@dataclass(frozen=True)
class Splits:
    """Train, validation and test tensors on one device: inputs ``x`` (images float32 in [0, 1],
    (N, 1, 28, 28) for one image, (N, 2, 28, 28) for a pair) and targets ``y`` int64 (N,), plus
    any further named tensors a problem needs (``extras[part][name]``, e.g. the digits of a pair)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str
    extras: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # part -> name -> tensor

    def part(self, name: str) -> dict[str, torch.Tensor]:
        """The named tensors of one part (``train``, ``val`` or ``test``): ``x``, ``y`` and its extras."""
        return {"x": getattr(self, f"{name}_x"), "y": getattr(self, f"{name}_y"), **self.extras.get(name, {})}


def check_arrays(arrays: Arrays, where: str | None = None) -> None:
    """Refuse data that would train "successfully" on nothing: no images in a part, labels
    outside the classes, or training labels of one class only (which any net learns by
    predicting it: a run that looks like a collapse, not a data error). Errors name ``where`` the
    data came from (default: ``arrays.source``)."""
    where = where or arrays.source
    for part in ("train", "test"):
        labels = getattr(arrays, f"{part}_labels")
        if len(labels) == 0:
            raise DataError(f"{where}: expected {part} images, found none (the IDX header counts 0); "
                            "point --data-dir at a complete data set")
        if labels.max() >= CLASSES:
            raise DataError(f"{where}: expected {part} labels from 0 to {CLASSES - 1}, found {labels.max()}")
    _check_classes(arrays.train_labels, f"{where}: the {len(arrays.train_labels)} training images")


def _check_classes(labels: np.ndarray, what: str) -> None:
    classes = np.unique(labels)
    if len(classes) < 2:
        raise DataError(f"{what} are all of class {classes[0]}; expected at least two classes to train on")


# --- Hugging Face hub ---------------------------------------------------------------------------


def hub_unreachable(timeout_s: float = HUB_CHECK_S) -> str | None:
    """Why the hub cannot be reached (its host does not resolve, or refuses or ignores a
    connection within ``timeout_s``), or None when it can, or when a proxy stands between (then
    only the hub client can tell). Without a network the client retries for half a minute."""
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    url = urllib.parse.urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = url.hostname or "", url.port or (80 if url.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as error:
        return f"{host}:{port}: {error.strerror or error}"
    return None


def load_hub(dataset: str, data_files: dict[str, str] | None = None) -> Arrays:
    """A data set from the Hugging Face hub; ``data_files`` (split -> parquet file) loads local
    parquet files of the hub's layout instead (an ``image`` and a ``label`` column). Where the hub
    cannot be reached, the client reads its cache only (``HF_HUB_OFFLINE``): a data set loaded
    before still loads, and one that was not fails at once instead of after its retries."""
    offline = hub_unreachable() if data_files is None else None
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"  # read when the hub client is imported, below
    import datasets  # imported here: only this source needs it, and it is slow to import

    if offline:  # imported before (another data set of this process): it read the variable then
        import huggingface_hub.constants

        datasets.config.HF_HUB_OFFLINE = huggingface_hub.constants.HF_HUB_OFFLINE = True
    try:
        if data_files is None:
            loaded, source = datasets.load_dataset(HUB_REPOS[dataset]), f"huggingface:{HUB_REPOS[dataset]}"
        else:
            loaded, source = datasets.load_dataset("parquet", data_files=data_files), "parquet files"
    except Exception as error:  # noqa: BLE001 - network, hub and cache errors come in many types
        where = HUB_REPOS[dataset] if data_files is None else ", ".join(map(str, data_files.values()))
        if offline:
            raise DataError(f"{where}: the Hugging Face hub cannot be reached ({offline}) and the data set is not "
                            f"in its cache; without a network, pass --data-dir DIR or set {DATA_DIR_ENV} to a "
                            "folder of the four IDX files") from None
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        raise DataError(f"{where}: cannot load the data set from the Hugging Face hub ({type(error).__name__}: "
                        f"{first}); without a network, pass --data-dir DIR or set {DATA_DIR_ENV} to a folder "
                        "of the four IDX files") from None
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
        arrays = load_hub(dataset)
        check_arrays(arrays)
    else:
        folder = idx_folder(data_dir, dataset)
        arrays = load_idx(folder)
        check_arrays(arrays, where=str(folder))
    return arrays


def _images(array: np.ndarray, device: torch.device) -> torch.Tensor:
    pixels = torch.tensor(array, device=device)  # copied as uint8, scaled on the device
    return (pixels.float() / 255.0).unsqueeze(1)


def _labels(array: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.tensor(array, device=device).long()


def split_indices(n_test: int, config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Which of the ``n_test`` test images validate and which test: a permutation seeded with
    ``config.val_split_seed``. It is a ``torch.randperm``, as in every record so far; the site,
    which has no torch, reads the indices from the file :func:`battleground.core.splits.write`
    keeps beside the runs."""
    if config.val_size + config.test_size > n_test:
        raise DataError(
            f"val_size {config.val_size} + test_size {config.test_size} exceed the {n_test} test images"
        )
    order = torch.randperm(n_test, generator=torch.Generator().manual_seed(config.val_split_seed)).numpy()
    return order[: config.val_size], order[config.val_size : config.val_size + config.test_size]


def make_splits(arrays: Arrays, config: TrainConfig, device: torch.device | str) -> Splits:
    """Train (the first ``config.train_size`` images, if set), validation and test tensors on
    ``device``. The test images are split by a permutation seeded with ``config.val_split_seed``,
    so every run validates on the same images."""
    device = torch.device(device)
    check_arrays(arrays)
    n_train = len(arrays.train_images)
    if config.train_size is not None and config.train_size > n_train:
        raise DataError(f"train_size {config.train_size} exceeds the {n_train} training images ({arrays.source})")
    val, test = split_indices(len(arrays.test_images), config)
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


def downsampled(splits: Splits, factor: int) -> Splits:
    """``splits`` with every image average-pooled ``factor`` x ``factor`` (1: unchanged), as
    ``torch.nn.functional.avg_pool2d`` does; a side the factor does not divide is an error."""
    if factor == 1:
        return splits
    side = splits.train_x.shape[-2:]
    if any(length % factor for length in side):
        raise DataError(f"downsample={factor} does not divide the images' {side[0]} x {side[1]} pixels")
    pooled = {f"{part}_x": torch.nn.functional.avg_pool2d(getattr(splits, f"{part}_x"), factor)
              for part in ("train", "val", "test")}
    return dataclasses.replace(splits, **pooled)
