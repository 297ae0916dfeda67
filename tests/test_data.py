"""Loading MNIST: the IDX reader, the Hugging Face path, and the splits on the device."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from battleground.train import data
from battleground.core.config import DEFAULTS

MNIST_TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture(scope="module")
def mnist(data_dir) -> data.Arrays:
    return data.load_idx(data.idx_folder(data_dir, "mnist"))


def test_mnist_from_idx_files_matches_the_published_statistics(mnist):
    assert mnist.train_images.shape == (60_000, 28, 28)
    assert mnist.test_images.shape == (10_000, 28, 28)
    pixels = mnist.train_images.astype(np.float64) / 255.0
    assert pixels.mean() == pytest.approx(0.1306604762738429, rel=1e-12)
    assert pixels.std() == pytest.approx(0.30810780385646264, rel=1e-12)
    assert np.bincount(mnist.train_labels).tolist() == MNIST_TRAIN_LABEL_COUNTS


def test_fashion_mnist_loads_from_its_subfolder(data_dir):
    fashion = data.load_arrays("fashion-mnist", data_dir)
    assert fashion.train_images.shape == (60_000, 28, 28)
    assert np.bincount(fashion.train_labels).tolist() == [6_000] * 10


def test_a_folder_of_idx_files_works_directly_and_gzip_is_optional(data_dir, tmp_path, mnist):
    for name in data.IDX_FILES.values():  # uncompressed copies, straight in the folder
        with gzip.open(data_dir / "mnist" / f"{name}.gz", "rb") as src, open(tmp_path / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    plain = data.load_arrays("mnist", tmp_path)
    assert np.array_equal(plain.test_images, mnist.test_images)
    assert np.array_equal(plain.train_labels, mnist.train_labels)


def test_the_environment_variable_points_at_the_data(data_dir, monkeypatch, mnist):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_dir))
    assert np.array_equal(data.load_arrays("mnist").test_labels, mnist.test_labels)


def _write_idx(path, magic, shape, payload_size=None):
    header = np.array([magic, *shape], dtype=">i4").tobytes()
    path.write_bytes(header + bytes(int(np.prod(shape)) if payload_size is None else payload_size))
    return path


@pytest.mark.parametrize(
    "magic, shape, payload_size, wanted",
    [
        (data.LABEL_MAGIC, (5, 28, 28), None, "expected IDX magic number 2051 (images), found 2049"),
        (data.IMAGE_MAGIC, (5, 28, 27), None, "expected 28x28 images, found 28x27"),
        (data.IMAGE_MAGIC, (5, 28, 28), 100, "expected 3936 bytes for 5x28x28 values, found 116 bytes"),
    ],
)
def test_a_broken_idx_file_is_named_with_what_was_expected(tmp_path, magic, shape, payload_size, wanted):
    path = _write_idx(tmp_path / "train-images-idx3-ubyte", magic, shape, payload_size)
    with pytest.raises(data.DataError) as error:
        data.read_idx(path, data.IMAGE_MAGIC)
    assert str(path) in str(error.value) and wanted in str(error.value)


def test_a_short_header_and_a_corrupt_gzip_are_clear_errors(tmp_path):
    short = tmp_path / "t10k-labels-idx1-ubyte"
    short.write_bytes(b"\x00\x00\x08")
    with pytest.raises(data.DataError, match="expected an IDX header of 8 bytes, found 3 bytes"):
        data.read_idx(short, data.LABEL_MAGIC)
    corrupt = tmp_path / "t10k-labels-idx1-ubyte.gz"
    corrupt.write_bytes(b"not gzip at all")
    with pytest.raises(data.DataError, match="cannot read the file"):
        data.read_idx(corrupt, data.LABEL_MAGIC)


def test_a_missing_file_or_folder_names_what_was_expected(tmp_path, data_dir):
    with pytest.raises(data.DataError, match="in this folder or in its subfolder mnist/"):
        data.load_arrays("mnist", tmp_path)
    for name in data.IDX_FILES.values():
        if name != "t10k-labels-idx1-ubyte":
            shutil.copy(data_dir / "mnist" / f"{name}.gz", tmp_path)
    with pytest.raises(data.DataError, match="expected the file t10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz"):
        data.load_arrays("mnist", tmp_path)


def test_mismatched_image_and_label_counts_are_refused(tmp_path, data_dir):
    for name in data.IDX_FILES.values():
        if name != "t10k-labels-idx1-ubyte":
            shutil.copy(data_dir / "mnist" / f"{name}.gz", tmp_path)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", data.LABEL_MAGIC, (9_999,))
    with pytest.raises(data.DataError, match="found 9999 labels for 10000 images"):
        data.load_idx(tmp_path)


def test_splits_are_float_pixels_and_long_labels_of_the_right_sizes(mnist):
    splits = data.make_splits(mnist, DEFAULTS, "cpu")
    assert [len(t) for t in (splits.train_x, splits.val_x, splits.test_x)] == [60_000, 8_000, 2_000]
    assert splits.train_x.shape[1:] == (1, 28, 28) and splits.train_x.dtype == torch.float32
    assert splits.val_y.dtype == torch.int64
    assert splits.train_x.min() == 0.0 and splits.train_x.max() == 1.0
    assert splits.train_x.double().mean().item() == pytest.approx(0.1306604762738429, rel=1e-6)
    assert torch.equal(splits.train_y, torch.tensor(mnist.train_labels).long())


def _rows(images: torch.Tensor) -> set[bytes]:
    return {image.numpy().tobytes() for image in images}


def test_validation_and_test_partition_the_test_images_by_a_fixed_seed(mnist):
    splits = data.make_splits(mnist, DEFAULTS, "cpu")
    again = data.make_splits(mnist, DEFAULTS, "cpu")
    other = data.make_splits(mnist, DEFAULTS.replace(val_split_seed=1), "cpu")
    assert torch.equal(splits.val_x, again.val_x) and torch.equal(splits.test_y, again.test_y)
    assert not torch.equal(splits.val_y, other.val_y)
    val, test = _rows(splits.val_x), _rows(splits.test_x)
    everything = _rows(torch.from_numpy(mnist.test_images.astype(np.float32) / 255.0).unsqueeze(1))
    assert len(everything) == 10_000  # MNIST's test images are all distinct, so rows identify them
    assert not val & test and val | test == everything
    labels = torch.cat([splits.val_y, splits.test_y])
    assert torch.bincount(labels).tolist() == np.bincount(mnist.test_labels).tolist()


def test_train_size_takes_the_first_training_images(mnist):
    full = data.make_splits(mnist, DEFAULTS, "cpu")
    small = data.make_splits(mnist, DEFAULTS.replace(train_size=2_000), "cpu")
    assert torch.equal(small.train_x, full.train_x[:2_000])
    assert torch.equal(small.val_x, full.val_x)


def test_the_hugging_face_path_reads_the_hubs_parquet_layout_like_the_idx_files(mnist, tmp_path):
    import datasets
    from PIL import Image  # the hub stores PNGs; datasets decodes them with Pillow

    features = datasets.Features(
        {"image": datasets.Image(), "label": datasets.ClassLabel(names=[str(d) for d in range(10)])}
    )
    files = {}
    for part, count in (("train", 2_000), ("test", 10_000)):
        images, labels = getattr(mnist, f"{part}_images")[:count], getattr(mnist, f"{part}_labels")[:count]
        table = datasets.Dataset.from_dict(
            {"image": [Image.fromarray(image) for image in images], "label": labels.tolist()}, features=features
        )
        files[part] = str(tmp_path / f"{part}.parquet")
        table.to_parquet(files[part])

    hub = data.load_hub("mnist", data_files=files)
    config = DEFAULTS.replace(train_size=2_000)
    from_hub, from_idx = data.make_splits(hub, config, "cpu"), data.make_splits(mnist, config, "cpu")
    for name in ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y"):
        assert torch.equal(getattr(from_hub, name), getattr(from_idx, name)), name


def _idx_folder(tmp_path, data_dir, replace: dict) -> None:
    """A folder of the MNIST files with some replaced: name -> (magic, shape, payload bytes or None)."""
    for name in data.IDX_FILES.values():
        if name in replace:
            magic, shape, payload = replace[name]
            header = np.array([magic, *shape], dtype=">i4").tobytes()
            (tmp_path / name).write_bytes(header + (payload if payload is not None else bytes(int(np.prod(shape)))))
        else:
            shutil.copy(data_dir / "mnist" / f"{name}.gz", tmp_path)


def test_an_idx_file_that_counts_no_images_is_a_data_error(tmp_path, data_dir):
    _idx_folder(tmp_path, data_dir, {"train-images-idx3-ubyte": (data.IMAGE_MAGIC, (0, 28, 28), None),
                                     "train-labels-idx1-ubyte": (data.LABEL_MAGIC, (0,), None)})
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte: expected train images, found none"):
        data.load_arrays("mnist", tmp_path)


def test_training_labels_of_one_class_only_are_a_data_error(tmp_path, data_dir):
    _idx_folder(tmp_path, data_dir, {"train-labels-idx1-ubyte": (data.LABEL_MAGIC, (60_000,), bytes([7]) * 60_000)})
    with pytest.raises(data.DataError, match=r"60000 training images are all of class 7; expected at least two"):
        data.load_arrays("mnist", tmp_path)


def test_labels_beyond_the_ten_classes_are_a_data_error(tmp_path, data_dir):
    _idx_folder(tmp_path, data_dir, {"t10k-labels-idx1-ubyte": (data.LABEL_MAGIC, (10_000,), bytes([12]) * 10_000)})
    with pytest.raises(data.DataError, match=r"expected test labels from 0 to 9, found 12"):
        data.load_arrays("mnist", tmp_path)


@pytest.mark.parametrize("changes, wanted", [
    ({"train_size": 60_001}, "train_size 60001 exceeds the 60000 training images"),
    ({"val_size": 9_000}, "val_size 9000 + test_size 2000 exceed the 10000 test images"),
])
def test_a_split_larger_than_the_data_is_a_data_error(mnist, changes, wanted):
    with pytest.raises(data.DataError, match=re.escape(wanted)):
        data.make_splits(mnist, DEFAULTS.replace(**changes), "cpu")


def test_a_training_subset_of_one_class_is_a_data_error(mnist):
    one_class = data.Arrays(mnist.train_images, np.sort(mnist.train_labels), mnist.test_images,
                            mnist.test_labels, "sorted")
    with pytest.raises(data.DataError, match="the first 100 training images are all of class 0"):
        data.make_splits(one_class, DEFAULTS.replace(train_size=100), "cpu")


@pytest.mark.slow  # starts battleground run in a subprocess
def test_no_network_and_no_data_folder_is_one_line_naming_both_ways_out(tmp_path, monkeypatch):
    # the real Hugging Face loader, told it is offline, with an empty cache: what a machine
    # without a network and without --data-dir meets
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    done = subprocess.run([sys.executable, "-m", "battleground", "run", "activation-functions", "--smoke",
                           "--runs-dir", str(tmp_path / "runs"), "--device", "cpu"],
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and "ylecun/mnist" in line and "--data-dir" in line and data.DATA_DIR_ENV in line


@pytest.mark.slow  # starts the data loader in a subprocess
def test_an_unreachable_hub_is_said_at_once_not_after_the_clients_retries(tmp_path, monkeypatch):
    # A hub whose port refuses connections (nothing listens on a port we bound and closed): the
    # client, left alone, retries for half a minute; the check before it answers in one line.
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                 data.DATA_DIR_ENV):
        monkeypatch.delenv(name, raising=False)
    assert data.hub_unreachable() is not None
    code = "from battleground.train import data; data.load_arrays('mnist')"
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - began
    assert done.returncode == 1 and "Retrying" not in done.stderr, done.stderr
    assert f"the Hugging Face hub cannot be reached (127.0.0.1:{port}: " in done.stderr
    assert "--data-dir" in done.stderr and data.DATA_DIR_ENV in done.stderr
    assert elapsed < 20, f"{elapsed:.1f} s: the client's retries ran"  # they take over 20 s; imports a few
