"""Per-image predictions in a run record: the final model's predicted class of every validation
and test input, one byte per input, base64 text (``record["predictions"]``).

Torch-free, so the site can compare models image by image, ensemble them and find the inputs they
all get wrong. 8,000 validation images take 10,668 characters; the order is the split's order,
which ``battleground.train.data.make_splits`` fixes with ``config.val_split_seed``.
"""

from __future__ import annotations

import base64

import numpy as np


def encode_classes(array) -> str:
    """Classes (whole numbers 0..255, any integer array or list) as base64 text of one byte each."""
    values = np.asarray(array)
    if values.ndim != 1 or (values.size and (not np.issubdtype(values.dtype, np.integer)
                                             or values.min() < 0 or values.max() > 255)):
        raise ValueError(f"expected a 1-D array of classes 0..255, found {values.dtype} of shape {values.shape}")
    return base64.b64encode(values.astype(np.uint8).tobytes()).decode("ascii")


def decode_classes(text: str) -> np.ndarray:
    """The uint8 array that :func:`encode_classes` wrote as ``text``."""
    return np.frombuffer(base64.b64decode(text.encode("ascii"), validate=True), dtype=np.uint8).copy()
