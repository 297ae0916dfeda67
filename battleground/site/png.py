"""Grayscale PNG files from uint8 arrays, with zlib alone (no image library to install)."""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def grayscale_png(pixels: np.ndarray) -> bytes:
    """A PNG file of ``pixels`` (height x width, uint8, 0 black to 255 white), 8 bits per pixel."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 2 or pixels.dtype != np.uint8 or 0 in pixels.shape:
        raise ValueError(f"expected a non-empty 2-D uint8 array, found {pixels.dtype} of shape {pixels.shape}")
    height, width = pixels.shape
    # each row starts with its filter type, 0 (none)
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
