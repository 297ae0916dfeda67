"""Where a run record came from: the code version, the device and the software versions."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]  # the checkout: battleground/ and experiments/
SOURCE_FOLDERS = ("battleground", "experiments")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def source_hash() -> str:
    """A hash of the package's and the experiments' Python sources, for code outside git."""
    digest = hashlib.sha256()
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()[:16]


def code_version() -> str:
    """``git rev-parse HEAD``, with ``-dirty`` if tracked files have uncommitted changes; outside a
    git checkout of this project, a hash of the sources instead."""
    try:
        if Path(_git("rev-parse", "--show-toplevel")).resolve() != ROOT:
            return source_hash()  # installed inside some other repository: its HEAD says nothing
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        return _git("rev-parse", "HEAD") + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return source_hash()


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one) and torch's thread count."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name} ({torch.get_num_threads()} threads)"


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_name()


def tf32() -> dict:
    """Whether float32 matrix products and convolutions may round their inputs to TF32
    (a 10-bit mantissa) on tensor cores: PyTorch allows it for cuDNN convolutions by default,
    not for matrix products. The numbers a GPU run records depend on it; a CPU computes in
    float32 whatever these say, so only a CUDA run records them."""
    return {"matmul": torch.backends.cuda.matmul.allow_tf32, "convolution": torch.backends.cudnn.allow_tf32}


def environment(device: torch.device, executor: dict | None = None) -> dict:
    """The provenance block of a run record; ``executor``: what trained it
    (:func:`battleground.train.executor.describe`), absent from a measurement's."""
    block = {
        "device": device_name(device),
        "torch": str(torch.__version__),  # a str subclass otherwise
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "code_version": code_version(),
    }
    if executor is not None:
        block["executor"] = dict(executor)
    if device.type == "cuda":
        block["tf32"] = tf32()
    return block
