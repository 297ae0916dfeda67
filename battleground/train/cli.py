"""The battleground command: list investigations and their runs, and train them.

Mistakes on the command line (an unknown investigation, variant or device, a malformed budget)
and unusable data or records end with one line on stderr, not a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from collections import defaultdict

import experiments
from battleground.core import files, records
from battleground.core.config import parse_budget
from battleground.core.spec import Investigation, Task, VariantError
from battleground.core.values import SEED_RANGE, is_seed, printable

DEVICES = ("auto", "cpu", "cuda")
MAX_EPOCHS = 1_000_000  # a million epochs of the smallest model is years of training: anything more is a typo


class Failure(Exception):
    """A command that cannot be carried out: one line for stderr and an exit status (2 for a
    mistake on the command line, 1 for unusable data)."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


def parser() -> argparse.ArgumentParser:
    """The command line: `list`, `run`, `plan` and `bench` with their flags."""
    parser = argparse.ArgumentParser(prog="battleground", description=__doc__.splitlines()[0])  # plain text
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="investigations, their variants, and which runs exist")
    listing.add_argument("investigation", nargs="?", help="list this investigation's variants and each seed's run "
                         "(default: one line per investigation, with its counts of runs)")
    listing.add_argument("--all", action="store_true", help="list every investigation's variants and runs")
    listing.add_argument("--runs-dir", default="runs", help="where run records live (default: runs/)")

    run = commands.add_parser("run", help="train an investigation's variants and write their records")
    run.add_argument("investigation", help="an investigation's name, as 'battleground list' shows")
    _selection_flags(run)
    run.add_argument("--force", action="store_true", help="retrain every selected run from scratch, complete ones included")
    run.add_argument("--replace", action="store_true",
                     help="train again, from epoch 1, the finished runs that fall short of this sweep: complete with "
                          "fewer epochs than --epochs asks, or trained with other settings than the investigation's "
                          "now (their records are replaced); runs that already meet it are skipped, and interrupted "
                          "ones resume")
    run.add_argument("--restart", action="store_true", help="train interrupted runs from epoch 1 instead of "
                     "resuming them from their checkpoint")
    run.add_argument("--no-batch", action="store_true",
                     help="train seeds of one variant one after another, never batched together "
                          "(by default they are batched where that is faster: on CUDA)")
    run.add_argument("--cuda-graphs", action="store_true",
                     help="on CUDA, replay each training step of a model trained alone as a CUDA graph "
                          "(see battleground bench for what it buys)")

    plan = commands.add_parser("plan", help="count a sweep's done, short, partial and missing runs and estimate the rest's "
                               "device-hours and wall time, before anything runs")
    plan.add_argument("investigation", help="an investigation's name, as 'battleground list' shows")
    _selection_flags(plan)
    plan.add_argument("--bench", help="estimate epochs from this 'battleground bench' results file (e.g. one "
                      "made on a GPU machine) instead of timing one epoch of each model here")
    plan.add_argument("--slots", type=int, help="runs at a time (default: --jobs, or the Ray cluster's "
                      "concurrent tasks: --address's, else this machine's CPUs or GPUs)")
    plan.add_argument("--time-every-shape", action="store_true",
                      help="time one epoch of every model shape left, for when scaling by FLOPs is not trusted "
                           "(by default, of a family with more than 24 shapes left only 5, spread over their "
                           "training FLOPs, are timed, and each other "
                           "shape is scaled by FLOPs from the nearest of them; the plan says how many were timed "
                           "and how many scaled)")
    plan.set_defaults(force=False, restart=False, replace=False, no_batch=False)

    bench = commands.add_parser("bench", help="time our trainer against the tutorial loop, in one run")
    bench.add_argument("--models", default="SimpleNet2,LeNet5",
                       help="families to time (default: SimpleNet2,LeNet5; the network zoo's conv nets: "
                            "ZooConv2d, ZooConv2dThenLinear, ZooResNet)")
    bench.add_argument("--epochs", type=int, default=3, help="timed epochs of each contender (default: 3)")
    bench.add_argument("--warmup", type=int, default=1, help="untimed epochs first (default: 1)")
    bench.add_argument("--batch-models", type=int,
                       help="K, the models the batched trainer trains at once (default: 4 on a CPU, "
                            "256 on CUDA, where a large sweep batches many)")
    bench.add_argument("--train-size", type=int, help="use only the first N training images (default: all 60,000)")
    bench.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    bench.add_argument("--cores", type=int,
                       help="instead: compare N one-thread processes (--jobs N) with one process of N threads, "
                            "training each family at once, and print the ratio (on a quiet machine)")
    bench.add_argument("--data-dir", help="a folder of IDX files (default: $BATTLEGROUND_DATA_DIR, else the hub)")
    bench.add_argument("--out", help="the results file (default: bench-results/<device>.json)")
    return parser


def _selection_flags(command: argparse.ArgumentParser) -> None:
    """The flags ``run`` and ``plan`` share: which runs, how long, and where."""
    command.add_argument("--variant", action="append",
                     help="train only this variant, e.g. 'SimpleNet2[activation=ReLU,depth=0]'; give it again for more")
    command.add_argument("--seed", type=int, action="append",
                     help="train only this seed; give it again for more (default: all the investigation's "
                          "seeds; a seed the investigation does not declare needs --force)")
    command.add_argument("--budget", help="wall-clock budget per run, e.g. 4h, 30m, 90s (default: the investigation's)")
    command.add_argument("--epochs", type=int, help="train exactly this many epochs (overrides the budget)")
    command.add_argument("--train-size", type=int,
                         help="train on only the first N training images (default: the investigation's; a "
                              "record trained on other images than the investigation declares counts as changed)")
    command.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    command.add_argument("--data-dir", help="a folder of IDX files, for machines without network "
                     "(default: $BATTLEGROUND_DATA_DIR, else the Hugging Face hub)")
    command.add_argument("--runs-dir", help="where run records go (default: runs/; with --smoke, "
                     f"{records.SMOKE_RUNS_DIR}/)")
    command.add_argument("--smoke", action="store_true", help="the investigation's small smoke configuration, "
                     "a check that the code trains: its records never count as the investigation's runs")
    command.add_argument("--jobs", type=int, default=1,
                     help="train on the CPU in N worker processes of one thread each (networks of different "
                          "shapes, such as the zoo's); prints the throughput in runs per hour (default: 1)")
    command.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="local: this process (or --jobs worker processes); ray: one Ray task per run, or per "
                          "same-shape group on a GPU, on a local cluster or the one at --address (default: local)")
    command.add_argument("--address", help="with --executor ray: join the Ray cluster at HOST:PORT (default: start a "
                     "local cluster on this machine, loopback only)")
    command.add_argument("--cpus-per-task", type=float, default=1,
                     help="with --executor ray: CPUs (and torch threads) each task asks for (default: 1)")
    command.add_argument("--gpus-per-task", type=float, default=0,
                     help="with --executor ray: GPUs each task asks for, e.g. 0.25 for four tasks a GPU (default: 0)")
    command.add_argument("--max-retries", type=int, default=3,
                     help="with --executor ray: times a task whose worker died is tried again (default: 3)")


def _investigation(name: str) -> Investigation:
    try:
        return experiments.get(name)
    except KeyError as error:
        raise Failure(error.args[0]) from None


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _run_summary(record: dict) -> str:
    """``complete (12 epochs, val 0.9712)``, ``running (3 of 12 epochs)``, ``diverged (1 epoch)``."""
    epochs = len(record["epochs"]["epoch"])
    # a smoke run checks that the code trains: never to be read as one of the investigation's runs
    smoke = "smoke run, " if records.is_smoke(record) else ""
    if record["status"] == "complete":
        metric = records.problem_of(record).headline  # accuracy goes unnamed, as it always has
        value = record["epochs"][metric.column][-1]
        shown = "n/a" if value is None else f"{value:.4f}"
        return f"{smoke}complete ({_epochs(epochs)}, {'val' if metric.name == 'accuracy' else metric.column} {shown})"
    if record["status"] == "running":
        planned = record.get("epochs_planned")
        return f"{smoke}running ({epochs} of {_epochs(planned) if isinstance(planned, int) else '? epochs'})"
    return f"{smoke}{record['status']} ({_epochs(epochs)})"


LISTED_STATES = (*records.STATUSES[1:], records.STATUSES[0], "not run")  # complete first


def _counts(investigation: Investigation, runs: dict[str, dict[int, dict]]) -> str:
    """One line of ``investigation``'s runs: ``16 variants, 48 runs: 40 complete, 8 not run``, and
    the records that are none of its declared runs (smoke runs, undeclared variants or seeds)."""
    counts = dict.fromkeys(LISTED_STATES, 0)
    declared = set()
    for variant in investigation.variants:
        for seed in investigation.seeds_of(variant):
            declared.add((variant.name, seed))
            record = runs.get(variant.name, {}).get(seed)
            counts["not run" if record is None or records.is_smoke(record) else record["status"]] += 1
    found = [(name, seed, record) for name, by_seed in runs.items() for seed, record in by_seed.items()]
    smoke = sum(records.is_smoke(record) for _, _, record in found)
    others = sum(not records.is_smoke(record) and (name, seed) not in declared for name, seed, record in found)
    line = (f"{investigation.name}: {len(investigation.variants)} variants, {investigation.run_count} runs: "
            + ", ".join(f"{n} {state}" for state, n in counts.items() if n))
    if smoke:
        line += f"; {smoke} smoke run{'s' if smoke != 1 else ''}"
    if others:
        line += f"; {others} record{'s' if others != 1 else ''} of undeclared variants or seeds"
    return line


def command_list(args) -> int:
    """One line per investigation; with an investigation named (or ``--all``), each variant's runs."""
    chosen = [_investigation(args.investigation)] if args.investigation else experiments.discover().values()
    detail = bool(args.investigation or args.all)
    for investigation in chosen:
        runs = defaultdict(dict)
        for record in records.load_runs(args.runs_dir, investigation.name):
            runs[record["variant"]][record["seed"]] = record
        if not detail:
            print(printable(_counts(investigation, runs)))
            continue
        # records travel: nothing of one may reach the terminal as a control sequence
        print(printable(f"{investigation.name}: {investigation.question}"))
        for variant in investigation.variants:
            found = runs.pop(variant.name, {})
            seeds = sorted(set(investigation.seeds_of(variant)) | set(found))
            cells = [f"{s} {_run_summary(found[s]) if s in found else 'not run'}" for s in seeds]
            print(printable(f"  {variant.name}: " + "; ".join(cells)))
        for name, by_seed in sorted(runs.items()):  # records of variants no longer declared
            for seed, record in sorted(by_seed.items()):
                print(printable(f"  (undeclared) {name} seed {seed}: {_run_summary(record)}"))
    if not detail:
        print("battleground list INVESTIGATION: its variants and each seed's run; --all: every investigation's")
    return 0


def _device(name: str):
    import torch

    if name not in DEVICES:
        raise Failure(f"unknown device {name!r}; known: {', '.join(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise Failure(f"--device cuda: CUDA is not available here (torch {torch.__version__}); use --device cpu")
    return torch.device(name)


def selected_tasks(args) -> list[Task]:
    """The tasks a ``run`` command line selects (its variant, seeds, epochs or budget, smoke
    configuration), checked, before any device is touched: what ``battleground run`` trains, and
    what the site's reproduce commands are tested against."""
    investigation = _investigation(args.investigation)
    if args.smoke and investigation.smoke is None:
        raise Failure(f"investigation {investigation.name!r} declares no smoke configuration")
    variants = None
    if args.variant:
        try:
            variants = [investigation.variant_named(name) for name in dict.fromkeys(args.variant)]
        except KeyError as error:  # its message lists the variants one a line: make it one line
            raise Failure(error.args[0].replace(":\n  ", ": ").replace("\n  ", ", ")) from None
    changes = {}
    if args.budget is not None:
        try:
            changes.update(budget_s=parse_budget(args.budget), epochs=None)  # a budget replaces fixed epochs
        except ValueError as error:
            raise Failure(str(error)) from None
    for seed in args.seed or ():
        if not is_seed(seed):
            raise Failure(f"--seed {seed}: expected {SEED_RANGE}")
    declared = investigation.smoke.seeds if args.smoke else tuple(dict.fromkeys(
        seed for v in (variants or investigation.variants) for seed in investigation.seeds_of(v)))
    undeclared = [seed for seed in dict.fromkeys(args.seed or ()) if seed not in declared]
    if undeclared and not args.force:
        raise Failure(f"--seed {undeclared[0]}: investigation {investigation.name!r} declares the seeds "
                      f"{', '.join(map(str, declared))}; its page shows those, so train another only with --force")
    if args.epochs is not None:
        if not 1 <= args.epochs <= MAX_EPOCHS:
            raise Failure(f"--epochs {args.epochs}: expected a whole number from 1 to {MAX_EPOCHS:,}")
        changes["epochs"] = args.epochs
    if args.train_size is not None:
        if args.train_size < 1:
            raise Failure(f"--train-size {args.train_size}: expected a whole number >= 1")
        changes["train_size"] = args.train_size
    if args.jobs < 1:
        raise Failure(f"--jobs {args.jobs}: expected a whole number >= 1")
    if args.jobs > 1 and args.device == "cuda":
        raise Failure("--jobs trains in CPU processes; leave out --device cuda or --jobs")
    _check_executor(args)

    if args.smoke:
        config = investigation.config.replace(**{**investigation.smoke.config_changes, **changes})
        variants = variants or list(investigation.smoke.variants)
        seeds = list(dict.fromkeys(args.seed)) if args.seed else list(investigation.smoke.seeds)
    else:
        config = investigation.config.replace(**changes)
        seeds = list(dict.fromkeys(args.seed)) if args.seed else None
    return investigation.tasks(variants, seeds, config, smoke=args.smoke)


def _check_executor(args) -> None:
    if args.executor == "local":
        given = [flag for flag, value, default in (("--address", args.address, None), ("--cpus-per-task",
                 args.cpus_per_task, 1), ("--gpus-per-task", args.gpus_per_task, 0), ("--max-retries",
                 args.max_retries, 3)) if value != default]
        if given:
            raise Failure(f"{given[0]} is for the Ray executor; add --executor ray")
        return
    if args.jobs > 1:
        raise Failure("--jobs is the local executor's; with --executor ray the cluster's CPUs set the parallelism")
    if args.cpus_per_task <= 0 or args.gpus_per_task < 0:
        raise Failure(f"--cpus-per-task {args.cpus_per_task:g} --gpus-per-task {args.gpus_per_task:g}: expected "
                      "CPUs > 0 and GPUs >= 0")
    if args.max_retries < 0:
        raise Failure(f"--max-retries {args.max_retries}: expected a whole number >= 0")
    if not (math.isfinite(args.cpus_per_task) and math.isfinite(args.gpus_per_task)):
        raise Failure(f"--cpus-per-task {args.cpus_per_task:g} --gpus-per-task {args.gpus_per_task:g}: expected "
                      "finite numbers")
    if args.device == "cuda" and not args.gpus_per_task:
        raise Failure("--device cuda with --executor ray: give each task a GPU share with --gpus-per-task")
    from battleground.train import ray_executor

    if args.address is not None:
        try:
            ray_executor.check_address(args.address)
        except ray_executor.ClusterError as error:
            raise Failure(str(error)) from None
    if not ray_executor.available():
        raise Failure(ray_executor.INSTALL)


def worker_processes(jobs: int, tasks: int) -> int:
    """``--jobs`` as worker processes: no more than the runs to train, nor than this machine's
    cores (each worker trains on one thread: more would only share the cores and memory)."""
    return max(1, min(jobs, tasks, os.cpu_count() or 1))


def _run_ray(args, tasks: list[Task]) -> list[dict]:
    from battleground.train import ray_executor

    cluster = ray_executor.Cluster(address=args.address, cpus_per_task=args.cpus_per_task,
                                   gpus_per_task=args.gpus_per_task, max_retries=args.max_retries)
    device = "cuda" if args.gpus_per_task and args.device == "auto" else args.device
    done, failures = ray_executor.run_ray(tasks, args.runs_dir, cluster, data_dir=args.data_dir, device=device,
                                          force=args.force, restart=args.restart, replace=args.replace,
                                          batch=False if args.no_batch else None)
    if failures:
        raise Failure(f"{len(failures)} of {len(tasks)} runs failed; first: {failures[0].task.variant.name} "
                      f"seed {failures[0].task.seed}: {failures[0].error}", status=1)
    return done


def command_run(args) -> int:
    tasks = selected_tasks(args)
    investigation = _investigation(args.investigation)
    if args.smoke:
        print(f"smoke run: records go to {args.runs_dir}/, and never count as the investigation's runs")
    device = _device("cpu" if args.jobs > 1 or args.executor == "ray" else args.device)

    from battleground.train import executor, local  # imports torch: only training needs it
    from battleground.train.checkpoint import CheckpointError
    from battleground.train.data import DataError
    from battleground.core.lock import LockHeld
    from battleground.train.ray_executor import ClusterError  # imports no Ray: that waits for a run on it

    try:
        if args.executor == "ray":
            done = _run_ray(args, tasks)
        elif args.jobs > 1:
            from battleground.train import parallel

            jobs = worker_processes(args.jobs, len(tasks))
            if jobs < args.jobs:
                print(f"note: --jobs {args.jobs}: {jobs} worker processes, for {len(tasks)} runs on "
                      f"{os.cpu_count()} cores")
            done, throughput = parallel.run_parallel(tasks, args.runs_dir, jobs, data_dir=args.data_dir,
                                                     force=args.force, restart=args.restart, replace=args.replace)
            print(throughput)
        else:
            done = local.run_local(tasks, device, args.runs_dir, data_dir=args.data_dir, force=args.force,
                                   restart=args.restart, replace=args.replace, batch=False if args.no_batch else None,
                                   cuda_graphs=args.cuda_graphs)
    except VariantError as error:  # checked before anything trains
        raise Failure(f"{experiments.source_file(investigation.name)}: {error}") from None
    except (DataError, CheckpointError, LockHeld, executor.WouldDiscard, ClusterError) as error:
        raise Failure(str(error), status=1) from None
    except records.RecordError as error:
        raise Failure(f"{error}; to train this run again from scratch, use --force", status=1) from None
    except OSError as error:  # the runs folder is read-only, full, not a folder, ...
        raise Failure(files.explain(error, f"records and checkpoints go to --runs-dir {args.runs_dir}; "
                                    "an interrupted run resumes from its last checkpoint"), status=1) from None
    for task, record in zip(tasks, done):
        path = records.record_path(args.runs_dir, task.investigation, task.variant.name, task.seed)
        print(f"{task.variant.name} seed {task.seed}: {_run_summary(record)}, record in {path}")
    return 0


def _slots(args) -> tuple[int, str]:
    """How many runs train at once, and a description of where."""
    if args.slots is not None:
        if args.slots < 1:
            raise Failure(f"--slots {args.slots}: expected a whole number >= 1")
        return args.slots, f"--slots {args.slots}"
    if args.executor == "local":
        return (args.jobs, f"local executor, --jobs {args.jobs}") if args.jobs > 1 else (1, "local executor")
    from battleground.train import ray_executor

    cluster = ray_executor.Cluster(address=args.address, cpus_per_task=args.cpus_per_task,
                                   gpus_per_task=args.gpus_per_task)
    try:
        slots, resources = ray_executor.planned_capacity(cluster)
    except ray_executor.ClusterError as error:
        raise Failure(str(error), status=1) from None
    return slots, f"Ray {'cluster at ' + args.address if args.address else 'local cluster'}: {resources}"


def command_plan(args) -> int:
    tasks = selected_tasks(args)
    if args.bench is not None and args.device == "cuda":  # estimated from the file: nothing runs here
        import torch

        device = torch.device("cuda")
    else:
        device = _device(args.device)
    slots, where = _slots(args)
    slots = min(slots, max(1, len(tasks)))  # more slots than runs change nothing, and cost memory
    from battleground.train import plan
    from battleground.train.data import DataError

    investigation = _investigation(args.investigation)
    print(f"{investigation.name} on {device.type}: {investigation.question}")
    try:
        plan.plan(tasks, args.runs_dir, device, slots, where, data_dir=args.data_dir, bench_path=args.bench,
                  time_every_shape=args.time_every_shape)
    except DataError as error:
        raise Failure(str(error), status=1) from None
    except (OSError, ValueError, KeyError) as error:  # an unreadable or malformed bench file
        if args.bench is None:
            raise
        raise Failure(f"--bench {args.bench}: expected a `battleground bench` results file ({error})", status=1) from None
    return 0


def command_bench(args) -> int:
    from battleground.train import bench
    from battleground.train.data import DataError

    try:
        if args.cores is not None:
            _compare_cores(args)
        else:
            bench.command(args, _device(args.device))
    except DataError as error:
        raise Failure(str(error), status=1) from None
    except ValueError as error:  # an unknown model family or a bad count
        raise Failure(str(error)) from None
    return 0


def _compare_cores(args) -> None:
    """``bench --cores N``: N one-thread processes against one process of N threads, per family."""
    from battleground.train import bench, cores

    if args.device not in ("auto", "cpu"):
        raise Failure("--cores compares ways of using a CPU's cores; leave out --device or give cpu")
    families = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = [f for f in families if f not in bench.VARIANTS]
    if unknown:
        raise Failure(f"unknown model family {unknown[0]!r} for bench; known: {', '.join(bench.VARIANTS)}")
    if not 2 <= args.cores <= max(2, os.cpu_count() or 1):
        raise Failure(f"--cores {args.cores}: expected a whole number from 2 to this machine's {os.cpu_count()} cores")
    for family in families:
        cores.compare(family, args.cores, args.epochs, args.warmup, args.data_dir, args.train_size)


class Terminated(KeyboardInterrupt):
    """SIGTERM, which stops a command as Ctrl-C does (a run's records marked ``interrupted``)."""


def _terminated(signum, frame) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM raises :class:`Terminated` while the command runs (signals reach the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status: 130
    after Ctrl-C, 143 after SIGTERM, as a shell says a process those signals ended."""
    args = parser().parse_args(argv)
    if args.command in ("run", "plan") and args.runs_dir is None:  # smoke records stay out of runs/
        args.runs_dir = records.SMOKE_RUNS_DIR if args.smoke else "runs"
    try:
        commands = {"list": command_list, "run": command_run, "plan": command_plan, "bench": command_bench}
        with _sigterm_as_interrupt():
            return commands[args.command](args)
    except Failure as error:
        print(f"battleground: error: {error}", file=sys.stderr)
        return error.status
    except experiments.DeclarationError as error:  # an experiment module's mistake, with its path
        print(f"battleground: error: {error}", file=sys.stderr)
        return 2
    except records.FieldError as error:  # a record, or a split file of runs/splits/, that cannot be used
        print(f"battleground: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print("battleground: interrupted", file=sys.stderr)
        return 128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    except BrokenPipeError:  # e.g. `battleground list | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except OSError as error:  # any other file-system error: one line, not a traceback
        print(f"battleground: error: {files.explain(error)}", file=sys.stderr)
        return 1
