"""Kill a real training run with SIGKILL at random moments, resume it each time, and check the result.

    python scripts/stress_resume.py [--kills 20] [--epochs 8] [--data-dir DIR]

Trains the activation-functions smoke configuration of SimpleNet2 (2,000 training images) on the
CPU with ``python -m battleground run``: first once without interruption (the reference), then
again and again, each attempt killed after a random delay drawn from the reference's wall time
and then resumed. After every kill every record and checkpoint in the runs folder must load
(``records.load_record``, ``torch.load(weights_only=True)``); every run that reaches the end must
have the reference's record, timings aside. Prints one summary line and exits with 1 on any
mismatch or unreadable file.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from battleground.train import checkpoint  # noqa: E402 - after the path is set
from battleground.core import records, splits  # noqa: E402

INVESTIGATION = "activation-functions"
VARIANT = "SimpleNet2[activation=ReLU,depth=0]"
SEED = 1729
TIMINGS = ("started", "finished", "timed_epoch_s", "resumed")  # record fields that differ between identical runs (and the history of resumes)


def without_timings(record: dict) -> dict:
    stripped = {key: value for key, value in record.items() if key not in TIMINGS}
    stripped["epochs"] = {name: column for name, column in record["epochs"].items() if name != "seconds"}
    return stripped


def command(runs: Path, epochs: int, data_dir: str | None) -> list[str]:
    argv = [sys.executable, "-m", "battleground", "run", INVESTIGATION, "--smoke", "--variant", VARIANT,
            "--seed", str(SEED), "--epochs", str(epochs), "--device", "cpu", "--runs-dir", str(runs)]
    return argv + (["--data-dir", data_dir] if data_dir else [])


def unreadable_files(runs: Path) -> list[str]:
    """Every record, checkpoint or split file under ``runs`` that does not load, with why."""
    problems = []
    for path in sorted(runs.rglob("*")):
        try:
            if path.parent.name == records.SPLITS_FOLDER:
                splits.read(path)
            elif path.suffix == ".json":
                records.load_record(path)
            elif path.suffix == ".ckpt":
                checkpoint.load(path)
        except (records.RecordError, checkpoint.CheckpointError, splits.SplitError) as error:
            problems.append(str(error))
    return problems


def final_record(runs: Path) -> dict:
    return records.load_record(records.record_path(runs, INVESTIGATION, VARIANT, SEED))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs to deliver in all (default: 20)")
    parser.add_argument("--epochs", type=int, default=8, help="epochs per run (default: 8)")
    parser.add_argument("--data-dir", default=os.environ.get("BATTLEGROUND_DATA_DIR"),
                        help="a folder of IDX files (default: $BATTLEGROUND_DATA_DIR)")
    parser.add_argument("--random-seed", type=int, default=None, help="for repeatable kill moments")
    args = parser.parse_args(argv)
    rng = random.Random(args.random_seed)

    with tempfile.TemporaryDirectory(prefix="stress-resume-") as work:
        work = Path(work)
        log = work / "child.log"

        def start(runs: Path) -> subprocess.Popen:
            with open(log, "wb") as out:  # the child keeps its own handle
                return subprocess.Popen(command(runs, args.epochs, args.data_dir), cwd=ROOT,
                                        stdout=out, stderr=subprocess.STDOUT)

        def finished_cleanly(process: subprocess.Popen) -> None:
            if process.wait() != 0:
                sys.exit(f"stress_resume: a run failed (exit {process.returncode}):\n{log.read_text()}")

        began = time.perf_counter()
        finished_cleanly(start(work / "reference"))
        reference_s = time.perf_counter() - began
        reference = without_timings(final_record(work / "reference"))

        runs = work / "stressed"
        kills = resumes = mismatches = compared = 0
        unreadable: list[str] = []
        while True:
            process = start(runs)
            if kills >= args.kills:  # enough kills: let this attempt finish the run
                finished_cleanly(process)
            else:
                try:
                    process.wait(timeout=rng.uniform(0, reference_s))
                except subprocess.TimeoutExpired:
                    process.kill()  # SIGKILL: no handler, no cleanup
                    process.wait()
                    kills += 1
                    unreadable += unreadable_files(runs)
                    resumes += 1  # the next attempt resumes what this one left
                    continue
                finished_cleanly(process)
            compared += 1
            result = without_timings(final_record(runs))
            if result != reference:
                mismatches += 1
                differing = {key: (reference[key], result.get(key)) for key in reference if result.get(key) != reference[key]}
                print(f"  mismatch in run {compared}: (reference, resumed) {str(differing)[:500]}")
            shutil.rmtree(runs)
            if kills >= args.kills:
                break

    print(f"stress_resume: {kills} kills, {resumes} resumes, {mismatches} mismatches, "
          f"{len(unreadable)} unreadable files ({compared} finished runs compared with the reference)")
    for problem in unreadable:
        print(f"  unreadable: {problem}")
    return 1 if mismatches or unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
