"""Throughput of the executors on this machine, one after the other, on the same sweep.

Runs one ``battleground run`` per executor, each into its own temporary runs folder: the local
executor in one process (torch using the workers' threads), the local executor with ``--jobs``
one-thread processes, and the Ray executor on a local cluster of one-thread tasks. Prints each
one's wall time and model-epochs per second (start-up, data loading and the cluster included),
the ratio to the one-process local executor, and whether every executor wrote the same records
(timings aside)::

    python scripts/executor_throughput.py                       # 8 SimpleNet2 runs x 50 epochs, 2 workers
    python scripts/executor_throughput.py --epochs 20 --workers 2 --executors local,ray
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from battleground.core import records  # noqa: E402

ACTIVATIONS = ("none", "ReLU", "ELU", "LeakyReLU", "PReLU", "SiLU", "sigmoid", "tanh")
TIMINGS = ("started", "finished", "environment", "timed_epoch_s")


def flags(executor: str, workers: int) -> tuple[list[str], dict]:
    """The executor's extra flags and environment."""
    if executor == "local":
        return [], {"OMP_NUM_THREADS": str(workers)}
    if executor == "jobs":
        return ["--jobs", str(workers)], {"OMP_NUM_THREADS": "1"}
    return ["--executor", "ray", "--cpus-per-task", "1"], {"OMP_NUM_THREADS": "1"}


def values(record: dict) -> dict:
    kept = {key: value for key, value in record.items() if key not in TIMINGS}
    kept["epochs"] = {name: column for name, column in record["epochs"].items() if name != "seconds"}
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50, help="epochs of each run (default: 50)")
    parser.add_argument("--runs", type=int, default=8, help="SimpleNet2 runs, one activation each (default: 8)")
    parser.add_argument("--workers", type=int, default=2, help="processes or Ray tasks at once (default: 2)")
    parser.add_argument("--executors", default="local,jobs,ray", help="which, in order (default: local,jobs,ray)")
    parser.add_argument("--data-dir", help="a folder of IDX files (default: $BATTLEGROUND_DATA_DIR, else the hub)")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.executors.split(",")]
    unknown = [name for name in chosen if name not in ("local", "jobs", "ray")]
    if unknown or not 1 <= args.runs <= len(ACTIVATIONS):
        parser.error(f"--executors takes local, jobs and ray; --runs 1 to {len(ACTIVATIONS)}")
    variants = [f"SimpleNet2[activation={a},depth=0]" for a in ACTIVATIONS[: args.runs]]
    base = [sys.executable, "-m", "battleground", "run", "activation-functions", "--seed", "1729",
            "--epochs", str(args.epochs), "--device", "cpu", *[f for v in variants for f in ("--variant", v)]]
    if args.data_dir:
        base += ["--data-dir", args.data_dir]
    model_epochs = args.runs * args.epochs
    print(f"{args.runs} SimpleNet2 runs x {args.epochs} epochs, {args.workers} workers, {os.cpu_count()} CPUs")
    results, written = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for name in chosen:
            runs = Path(folder) / name
            extra, env = flags(name, args.workers)
            begun = time.perf_counter()
            done = subprocess.run([*base, *extra, "--runs-dir", str(runs)], cwd=ROOT, capture_output=True,
                                  text=True, env={**os.environ, **env})
            seconds = time.perf_counter() - begun
            if done.returncode != 0:
                print(f"{name}: failed ({done.returncode})\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
            results[name] = seconds
            written[name] = [values(r) for r in sorted(records.load_runs(runs, "activation-functions"),
                                                        key=lambda r: r["variant"])]
            print(f"{name:>5}: {seconds:7.1f} s, {model_epochs / seconds:6.2f} model-epochs/s, "
                  f"{results[chosen[0]] / seconds:.2f}x {chosen[0]}", flush=True)
    # One thread per run (jobs, ray) is the same arithmetic; the one-process executor's torch threads
    # split its sums differently, so its records agree to float rounding, not bit for bit.
    one_thread = [name for name in chosen if name != "local"]
    same = all(written[name] == written[one_thread[0]] for name in one_thread)
    if len(one_thread) > 1:
        print(f"records of {' and '.join(one_thread)} identical (timings aside): {'yes' if same else 'NO'}")
    if "local" in written and one_thread:
        gap = max(abs(a - b) for x, y in zip(written["local"], written[one_thread[0]])
                  for a, b in zip(x["epochs"]["val_accuracy"], y["epochs"]["val_accuracy"]))
        print(f"largest validation-accuracy gap between local ({args.workers} threads) and {one_thread[0]}: {gap:.4f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
