"""The validation/test split as a file: written by the trainer, read without torch, and the same
images the trainer validated on."""

from __future__ import annotations

import numpy as np
import pytest

from battleground.core import idx, splits
from battleground.core.config import DEFAULTS
from battleground.train import data, local


def test_the_split_file_names_the_images_the_trainer_validates_and_tests_on(tmp_path, data_dir):
    arrays = data.load_arrays("mnist", data_dir)
    config = DEFAULTS.replace(train_size=100)
    trained = data.make_splits(arrays, config, "cpu")
    path = local.keep_split(arrays, config, tmp_path)
    assert path == tmp_path / "splits" / "mnist-seed1729-val8000-test2000.json"
    # torch-free from here: the IDX reader and the split file give the trainer's own images
    kept = splits.read(path)
    images = idx.load_idx(idx.idx_folder(data_dir, "mnist"))
    assert np.array_equal(images.test_labels[kept["val"]], trained.val_y.numpy())
    assert kept["val_labels"] == trained.val_y.tolist() and kept["test_labels"] == trained.test_y.tolist()
    pixels = (trained.test_x.squeeze(1) * 255).round().numpy().astype(np.uint8)
    assert np.array_equal(images.test_images[kept["test"]], pixels)


def test_a_split_that_changed_under_committed_records_is_refused(tmp_path):
    path = splits.write(tmp_path / "s.json", [3, 1], [0], [7, 2], [1])
    assert splits.write(path, [3, 1], [0], [7, 2], [1]) == path
    with pytest.raises(splits.SplitError, match="the split changed"):
        splits.write(path, [1, 3], [0], [2, 7], [1])
    path.write_text('{"schema": 1, "val": [1, 1], "test": [], "val_labels": "", "test_labels": ""}',
                    encoding="utf-8")
    with pytest.raises(splits.SplitError, match="appear once"):
        splits.read(path)


def test_the_committed_split_of_every_committed_record_is_there(repo_root):
    from battleground.core import records

    for record in records.load_runs(repo_root / "runs"):
        kept = splits.read(splits.for_config(repo_root / "runs", record["config"]))
        if record["config"].get("pairs") is not None:  # pairs drawn from the split: 2 images each, at most
            assert 2 * record["data"]["val_images"] <= len(kept["val"])
            assert 2 * record["data"]["test_images"] <= len(kept["test"])
            continue
        assert len(kept["val"]) == record["data"]["val_images"] and len(kept["test"]) == record["data"]["test_images"]
