"""The validation/test split, as a file the site can read without torch.

Every run validates on ``val_size`` of a data set's test images and keeps ``test_size`` more as
its held-out test set, chosen by a ``torch.randperm`` seeded with ``val_split_seed``
(``battleground.train.data.split_indices``). The trainer writes those indices once per
(data set, seed, sizes) to ``runs/splits/<dataset>-seed<seed>-val<n>-test<n>.json`` and checks
them on every later run, with the labels of those images, so a record's per-image predictions
(``predictions.val[i]``) can be scored, and matched to image ``val[i]`` of the IDX test images
(``battleground.core.idx``), by code without torch or the data set. The file is derived data, but
committed: it is what makes the records readable alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from battleground.core import files
from battleground.core.records import (
    SPLITS_FOLDER, FieldError, atomic_write_bytes, decode_classes, encode_classes, parse_json, read_text,
)
from battleground.core.values import is_whole

SCHEMA = 1


class SplitError(FieldError):
    """A split file that cannot be used, or one that disagrees with the split being trained."""


# What to do about a damaged split file: it is derived from the data set, so the committed copy or
# a new one written by the trainer is as good as the original.
REPAIR = ("; the file is damaged: restore it from git or delete it, and "
          "`battleground run` writes it again from the data set")


def split_path(runs_dir: Path | str, dataset: str, seed: int, val_size: int, test_size: int) -> Path:
    """Where the split of ``dataset`` with this seed and these sizes is kept."""
    return Path(runs_dir) / SPLITS_FOLDER / f"{dataset}-seed{seed}-val{val_size}-test{test_size}.json"


def for_config(runs_dir: Path | str, config) -> Path:
    """The split file of a training config (or a record's ``config`` dict)."""
    get = config.get if isinstance(config, dict) else lambda key: getattr(config, key)
    return split_path(runs_dir, get("dataset"), get("val_split_seed"), get("val_size"), get("test_size"))


def kept(path: Path | str) -> bool:
    """Whether something is kept at a split file's ``path``: False where nothing is. A folder of
    splits that is not a folder is a :class:`SplitError`; a file that is not a regular one is
    refused by :func:`read`, never skipped as if absent."""
    path = Path(path)
    if files.folder_or_none(path.parent, SplitError, f"a folder of split files ({SPLITS_FOLDER}/)") is None:
        return False
    return os.path.lexists(path)


def read(path: Path | str) -> dict[str, list[int]]:
    """``{"val": [...], "test": [...], "val_labels": [...], "test_labels": [...]}``: indices into
    the data set's test images, and those images' labels."""
    try:
        found = parse_json(read_text(path, SplitError), path, SplitError)
    except SplitError as error:  # empty, cut short, not a file: say how to get a good one back
        raise SplitError(path, error.field, error.expected + REPAIR) from None
    if not isinstance(found, dict) or found.get("schema") != SCHEMA:
        raise SplitError(path, "schema", f"a split file of version {SCHEMA}{REPAIR}", found.get("schema")
                         if isinstance(found, dict) else type(found).__name__)
    for part in ("val", "test"):
        values = found.get(part)
        if not (isinstance(values, list) and all(is_whole(i) and i >= 0 for i in values)):
            raise SplitError(path, part, f"a list of image indices (whole numbers >= 0){REPAIR}")
    if set(found["val"]) & set(found["test"]) or len(set(found["val"])) != len(found["val"]):
        raise SplitError(path, "val", f"indices that appear once and never in test{REPAIR}")
    kept = {"val": found["val"], "test": found["test"]}
    for part in ("val", "test"):
        try:
            kept[f"{part}_labels"] = decode_classes(found.get(f"{part}_labels")).tolist()
        except ValueError:
            raise SplitError(path, f"{part}_labels", f"base64 text of one byte per image{REPAIR}") from None
        if len(kept[f"{part}_labels"]) != len(kept[part]):
            raise SplitError(path, f"{part}_labels", f"one label for each of the {len(kept[part])} {part} "
                             f"images{REPAIR}")
    return kept


def write(path: Path | str, val: list[int], test: list[int], val_labels: list[int], test_labels: list[int]) -> Path:
    """Keep this split (image indices and their labels) at ``path``; if a file is there, it must
    hold the same (a split that changed under committed records would pair their predictions
    with other images)."""
    path = Path(path)
    wanted = {"val": list(val), "test": list(test), "val_labels": list(val_labels), "test_labels": list(test_labels)}
    if os.path.lexists(path):  # a folder, a pipe or a broken link there is refused by read
        kept = read(path)
        for part in ("val", "test"):
            if len(kept[part]) != len(wanted[part]):
                raise SplitError(path, part, f"{len(wanted[part])} image indices, as its name says{REPAIR}",
                                 f"{len(kept[part])} indices")
        if kept != wanted:
            raise SplitError(path, "val", "the indices this run splits the data into; the split changed, so "
                             "records trained before and after it validate on different images")
        return path
    text = json.dumps({"schema": SCHEMA, "val": wanted["val"], "test": wanted["test"],
                       "val_labels": encode_classes(wanted["val_labels"]),
                       "test_labels": encode_classes(wanted["test_labels"])}, separators=(",", ":"))
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))
    return path
