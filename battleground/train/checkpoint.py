"""A run's checkpoint: everything needed to continue it exactly, written at each epoch's end.

It lives beside the run's record as ``<record stem>.ckpt`` (gitignored: it is training state, not
a result) and is written atomically, like the record: a kill leaves the previous checkpoint or
the new one, never half of one. The checkpoint is the truth on resume: the record is rewritten
from the record-so-far stored here. A finished run (complete or diverged) needs none, so the
trainer deletes it then.

Only tensors and plain data (dicts, lists, strings, numbers) go in, so ``torch.load`` runs with
``weights_only=True`` and nothing is unpickled beyond that.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import torch

from battleground.core import records

VERSION = 2  # 2: the learning-rate schedule's state. Bump when the layout changes: an older checkpoint is then refused, not misread
RESTART_HINT = "use --restart to train this run from epoch 1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from, naming the file and what was wrong."""

    def __init__(self, path: Path | str, problem: str):
        super().__init__(f"{path}: cannot resume from this checkpoint: {problem}; {RESTART_HINT}")


def checkpoint_path(record_path: Path | str) -> Path:
    """``runs/x/Net.seed1729.json`` -> ``runs/x/Net.seed1729.ckpt``."""
    return Path(record_path).with_suffix(".ckpt")


def rng_states(device: torch.device) -> dict:
    """Every global random number generator's state, as tensors and plain data."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, mt, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else [],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "python": [version, list(mt), gauss_next],
    }


def set_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    if states["cuda"]:
        torch.cuda.set_rng_state_all(states["cuda"])
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, mt, gauss_next = states["python"]
    random.setstate((version, tuple(mt), gauss_next))


def save(path: Path | str, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
         order: torch.Generator, epoch: int, epochs_planned: int, record: dict,
         scheduler: torch.optim.lr_scheduler.LRScheduler | None = None) -> None:
    """Write a checkpoint atomically (see :func:`records.atomic_write_bytes`)."""
    buffer = io.BytesIO()
    torch.save({
        "version": VERSION,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),  # None: a constant rate
        "order": order.get_state(),  # the data-order generator, wherever it lives
        "rng": rng_states(next(model.parameters()).device),
        "epoch": epoch,  # epochs completed: checkpoints are only written at epoch boundaries
        "epochs_planned": epochs_planned,  # so a resumed budget run does not time an epoch again
        # The record so far, as the plain data that weights_only accepts: the JSON round trip
        # turns str subclasses (torch.__version__) into str, and keeps NaN (a diverged loss).
        "record": json.loads(json.dumps(record)),
    }, buffer)
    records.atomic_write_bytes(path, buffer.getvalue())


_KEYS = ("version", "model", "optimizer", "scheduler", "order", "rng", "epoch", "epochs_planned", "record")


def load(path: Path | str) -> dict:
    """Read a checkpoint; any problem is a :class:`CheckpointError` that says to use --restart."""
    try:
        # torch.load raises many types for a damaged file (zip, pickle, EOF, runtime errors).
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - all of them mean the same thing here
        raise CheckpointError(path, f"the file is unreadable, perhaps truncated ({type(error).__name__})") from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(path, f"expected a dict, found {type(checkpoint).__name__}")
    missing = [key for key in _KEYS if key not in checkpoint]
    if missing:
        raise CheckpointError(path, f"fields {missing} are missing")
    if checkpoint["version"] != VERSION:
        raise CheckpointError(path, f"expected checkpoint version {VERSION}, found {checkpoint['version']!r}")
    try:
        records.validate(checkpoint["record"], path)
    except records.RecordError as error:
        raise CheckpointError(path, f"its record is invalid ({error})") from None
    return checkpoint


def remove(path: Path | str) -> None:
    Path(path).unlink(missing_ok=True)
