"""What would a fast engine for Adam buy? Times the training recipes' MLP (784-256-128-64-10) per
epoch, in one process, interleaved: Adam through autograd (what the recipes train with), plain
SGD through autograd, and plain SGD through the fastest engine that supports it. The SGD ratio is
what the fast paths buy an optimizer they support; a fast Adam path would buy at most about the
same, since Adam's update is a few element-wise passes more than SGD's.

    OMP_NUM_THREADS=1 python scripts/adam_fast_path.py [--epochs 3] [--train-size 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from battleground.core.config import DEFAULTS  # noqa: E402
from battleground.core.spec import Task, variant  # noqa: E402
from battleground.train import data, loop  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=10_000)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = DEFAULTS.replace(train_size=args.train_size, epochs=args.epochs)
    splits = data.make_splits(data.load_arrays("mnist", args.data_dir), config, "cpu")
    mlp = variant("MLP", widths=(256, 128, 64))
    contenders = {
        "Adam, autograd": (config.replace(optimizer="Adam"), False),
        "SGD, autograd": (config, False),
        "SGD, fastest engine": (config, True),
    }
    states = {name: loop.init_state(Task("bench", mlp, 1729, c), torch.device("cpu"), fast=fast)
              for name, (c, fast) in contenders.items()}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.epochs + 1):  # the first epoch of each is a warm-up
        for name, state in states.items():
            start = time.perf_counter()
            loop.train_epoch(state, splits, contenders[name][0])
            times[name].append(time.perf_counter() - start)
    best = {name: min(t[1:]) for name, t in times.items()}
    for name, state in states.items():
        print(f"{name:<22} {state.engine:<18} {best[name]:.3f} s/epoch (fastest of {args.epochs})")
    print(f"fast SGD engine / autograd SGD: {best['SGD, fastest engine'] / best['SGD, autograd']:.2f}x the time")
    print(f"autograd Adam / autograd SGD: {best['Adam, autograd'] / best['SGD, autograd']:.2f}x the time")


if __name__ == "__main__":
    main()
