"""The Ray executor: the local executor's units of work as tasks on a Ray cluster.

A unit is what :func:`battleground.train.sweep.run_local` trains at once: one run, or a group of
same-shape runs that a GPU trains batched. Each unit becomes one Ray task. The task trains in a
scratch folder on its node (``<temp>/battleground-ray/...``) and sends every record it writes
(after each epoch and at the end) to the driver through a mailbox actor; the driver alone writes
``runs/``, through :mod:`battleground.core.records`, holding each run's lock
(:mod:`battleground.core.lock`). No shared file system is needed.

Checkpoints stay in the node's scratch folder. A task whose worker dies (a killed process, a lost
node) is retried up to ``max_retries`` times: on the same node it resumes from its last
checkpoint, exactly as the local executor resumes; on another node it finds no checkpoint and
trains the run again from epoch 1, which gives the same record (timings aside). A run that raises
is reported and not retried. Ctrl-C cancels every task and marks the runs in progress
``interrupted``; running the sweep again resumes them (from the scratch checkpoints, on a local
cluster).

Without ``address`` a local cluster starts on this machine, bound to loopback only, without usage
statistics or dashboard; with it the driver joins an existing cluster (see the README).
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from battleground.core import records
from battleground.core.spec import Task

INSTALL = 'the Ray executor needs Ray: pip install -e ".[ray]"'
QUIET = {  # a local cluster: no usage statistics, no listener beyond loopback
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
}
POLL_S = 0.5  # how often the driver looks for records and finished tasks


class RayMissing(Exception):
    """Ray is not installed."""


@dataclass(frozen=True)
class Cluster:
    """Where the tasks run and what each asks for."""

    address: str | None = None  # None: start a local, loopback-only cluster
    cpus_per_task: float = 1
    gpus_per_task: float = 0
    max_retries: int = 3  # per task, for a dead worker; a raised error is never retried
    local_cpus: int | None = None  # a local cluster's CPUs (default: all of this machine's)


@dataclass(frozen=True)
class Failed:
    """A run whose task raised, or whose worker died more than ``max_retries`` times."""

    task: Task
    error: str


def _ray():
    try:
        import ray
    except ImportError:
        raise RayMissing(INSTALL) from None
    return ray


def available() -> bool:
    try:
        _ray()
    except RayMissing:
        return False
    return True


def connect(cluster: Cluster):
    """``ray.init`` for ``cluster``: join its address, or start a quiet loopback-only local cluster."""
    if cluster.address is not None:
        ray = _ray()
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=True,
                 runtime_env={"env_vars": {"RAY_USAGE_STATS_ENABLED": "0"}})
        return ray
    # Ray reads these when it is imported, in this process and in the cluster's processes, which
    # inherit them; a local cluster with them binds every listener to 127.0.0.1 (an address of
    # _node_ip_address alone still leaves its servers on every interface).
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
    ray = _ray()
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False  # Ray imported before us (a notebook) read it already
    ray.init(num_cpus=cluster.local_cpus or os.cpu_count() or 1, num_gpus=_local_gpus(),
             include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=True)
    return ray


def _local_gpus() -> int:
    try:
        import torch

        return torch.cuda.device_count()
    except ImportError:
        return 0


def planned_capacity(cluster: Cluster) -> tuple[int, str]:
    """``(tasks at a time, the resources)`` of ``cluster``: a local one's from this machine without
    starting it, a remote one's by joining it."""
    if cluster.address is None:
        resources = {"CPU": cluster.local_cpus or os.cpu_count() or 1, "GPU": _local_gpus()}
    else:
        ray = connect(cluster)
        try:
            resources = ray.cluster_resources()
        finally:
            ray.shutdown()
    slots = _slots(resources, cluster)
    return slots, (f"{resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs; "
                   f"{cluster.cpus_per_task:g} CPU and {cluster.gpus_per_task:g} GPU a task: {slots} at a time")


def _slots(resources: dict, cluster: Cluster) -> int:
    """How many tasks ``resources`` (CPUs, GPUs) run at once with ``cluster``'s shares."""
    slots = [int(resources.get("CPU", 0) // cluster.cpus_per_task)] if cluster.cpus_per_task else []
    if cluster.gpus_per_task:
        slots.append(int(resources.get("GPU", 0) // cluster.gpus_per_task))
    return max(1, min(slots)) if slots else 1


def scratch_folder(runs_dir: Path | str) -> Path:
    """The folder on a worker's node where its tasks train: one per driver's runs folder, so two
    sweeps into different folders never share checkpoints."""
    key = hashlib.sha256(f"{socket.gethostname()}:{Path(runs_dir).resolve()}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "battleground-ray" / key


class Mailbox:
    """An actor that holds the records workers send until the driver takes them, in order."""

    def __init__(self):
        self.records: list[dict] = []

    def put(self, record: dict) -> None:
        self.records.append(record)

    def take(self) -> list[dict]:
        taken, self.records = self.records, []
        return taken


def _train_unit(tasks: list[Task], scratch: str, data_dir: str | None, device_name: str, threads: int,
                restart: str | None, mailbox) -> tuple[list[dict], dict[str, str]]:
    """On a worker: train ``tasks`` in ``scratch``, sending each record to ``mailbox`` as it is
    written; returns the final records and the split files they were scored on (name -> text).
    ``restart``: the sweep's token when its runs start afresh (``--restart``, ``--force``)."""
    import ray
    import torch

    from battleground.core import splits as split_file
    from battleground.train import checkpoint, sweep

    torch.set_num_threads(max(1, int(threads)))
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    for task in tasks:  # the driver decided these need training: a finished scratch record is stale
        path = records.record_path(scratch, task.investigation, task.variant.name, task.seed)
        # --restart and --force start a run afresh once per sweep: a retry of this task (its worker
        # died) finds the marker and resumes from the checkpoint its first attempt wrote
        marker = path.with_name(f"{path.name}.{restart}") if restart else None
        if marker is not None and marker.exists():
            continue
        if restart or not checkpoint.checkpoint_path(path).exists():
            checkpoint.remove(checkpoint.checkpoint_path(path))
            path.unlink(missing_ok=True)
        if marker is not None:
            for stale in path.parent.glob(f"{path.name}.*"):  # an interrupted sweep's marker
                stale.unlink(missing_ok=True)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    # Sent without waiting: a task blocked in ray.get lends its CPU to another task, and two
    # trainings would share a core. One caller's calls to an actor run in the order made.
    sent = []

    def report(record: dict) -> None:
        sent[:] = [mailbox.put.remote(record)]

    done = sweep.run_local(tasks, torch.device(device_name), scratch, data_dir=data_dir, progress=False,
                           log=lambda _: None, report=report)
    ray.get(sent)  # every record delivered before the task ends
    kept = {}
    for task in tasks:
        path = split_file.for_config(scratch, task.config)
        kept[path.name] = path.read_text(encoding="utf-8")
        path = records.record_path(scratch, task.investigation, task.variant.name, task.seed)
        path.unlink(missing_ok=True)
        if restart:
            path.with_name(f"{path.name}.{restart}").unlink(missing_ok=True)
    return done, kept


def _stamp(record: dict, executor: dict) -> dict:
    record["environment"]["executor"] = executor
    return record


def run_ray(tasks: list[Task], runs_dir: Path | str, cluster: Cluster, data_dir: Path | str | None = None,
            device: str = "auto", force: bool = False, restart: bool = False, batch: bool | None = None,
            progress: bool = True, log: Callable[[str], None] = print) -> tuple[list[dict | None], list[Failed]]:
    """Train ``tasks`` on a Ray cluster; returns their records in task order (None for a run that
    failed) and the failures. Finished runs are skipped unless ``force``."""
    from contextlib import ExitStack

    from battleground.core import lock
    from battleground.train import sweep

    runs_dir = Path(runs_dir)
    paths = [records.record_path(runs_dir, t.investigation, t.variant.name, t.seed) for t in tasks]
    results: dict[int, dict | None] = {}
    failures: list[Failed] = []
    with ExitStack() as locks:
        todo = []
        for i, (task, path) in enumerate(zip(tasks, paths)):
            locks.enter_context(lock.held(lock.lock_path(path), log=log))
            done = None if force else sweep.existing_finished(task, runs_dir, False, log)
            if done is not None:
                results[i] = done
            else:
                todo.append(i)
        if len(todo) < len(tasks):
            log(f"skipping {len(tasks) - len(todo)} finished runs (--force retrains them)")
        if todo:
            token = uuid.uuid4().hex[:12] if restart or force else None
            _run_todo(tasks, todo, paths, runs_dir, cluster, data_dir, device, token, batch,
                      progress, log, results, failures)
    return [results.get(i) for i in range(len(tasks))], failures


def _run_todo(tasks, todo, paths, runs_dir, cluster, data_dir, device, restart, batch, progress, log,
              results, failures) -> None:
    from tqdm import tqdm

    from battleground.train import sweep

    ray = connect(cluster)
    try:
        executor = {"name": "ray", "cluster": cluster.address or "local",
                    "cpus_per_task": cluster.cpus_per_task, "gpus_per_task": cluster.gpus_per_task,
                    "nodes": len([n for n in ray.nodes() if n.get("Alive")]),
                    "concurrent_tasks": _slots(ray.cluster_resources(), cluster)}
        mailbox = ray.remote(num_cpus=0)(Mailbox).remote()
        remote = ray.remote(_train_unit).options(num_cpus=cluster.cpus_per_task, num_gpus=cluster.gpus_per_task,
                                                 max_retries=cluster.max_retries, retry_exceptions=False)
        batch = batch if cluster.gpus_per_task else False  # a CPU trains a group no faster than its runs alone
        pending = {}
        for unit in sweep.units([tasks[i] for i in todo], runs_dir, batch, resume=False):
            positions = [todo[j] for j in unit]
            ref = remote.remote([tasks[i] for i in positions], str(scratch_folder(runs_dir)),
                                None if data_dir is None else str(data_dir), device,
                                cluster.cpus_per_task, restart, mailbox)
            pending[ref] = positions
        where = {(tasks[i].investigation, tasks[i].variant.name, tasks[i].seed): i for i in todo}
        bar = tqdm(total=len(todo), desc="runs", unit="run", disable=not progress)
        log_line = bar.write if progress else log
        log_line(f"{len(todo)} runs in {len(pending)} Ray tasks, {executor['concurrent_tasks']} at a time "
                 f"on {executor['nodes']} node(s)")

        latest: dict[int, tuple] = {}  # position -> (started, epochs) of the record last written

        def drain() -> None:
            for record in ray.get(mailbox.take.remote()):
                i = where[(record["investigation"], record["variant"], record["seed"])]
                progress_ = (record["started"], len(record["epochs"]["epoch"]))
                old = latest.get(i)
                # skip a late record of a finished run, or one behind what is written (a new attempt
                # that started afresh on another node has another start time and is taken)
                if i in results or (old is not None and old[0] == progress_[0] and old[1] > progress_[1]):
                    continue
                latest[i] = progress_
                records.write_record(paths[i], _stamp(record, executor))

        try:
            with bar:
                while pending:
                    ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
                    drain()  # a task puts its records before it returns: write them first
                    for ref in ready:
                        positions = pending.pop(ref)
                        try:
                            done, kept = ray.get(ref)
                        except ray.exceptions.RayError as error:  # it raised, or its retries ran out
                            for i in positions:
                                failures.append(Failed(tasks[i], _first_line(error)))
                                results[i] = None
                                _interrupt(paths[i])
                                log_line(f"{tasks[i].variant.name} seed {tasks[i].seed}: failed: {_first_line(error)}")
                            bar.update(len(positions))
                            continue
                        for name, text in kept.items():
                            _keep_split(runs_dir, name, text)
                        for i, record in zip(positions, done):
                            records.write_record(paths[i], _stamp(record, executor))
                            results[i] = record
                            log_line(f"{tasks[i].variant.name} seed {tasks[i].seed}: {record['status']} "
                                     f"({len(record['epochs']['epoch'])} epochs)")
                        bar.update(len(positions))
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)
            drain()
            for positions in pending.values():
                for i in positions:
                    _interrupt(paths[i])
            raise
    finally:
        ray.shutdown()


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return next((line for line in reversed(text) if line.strip()), type(error).__name__)[:300]


def _interrupt(path: Path) -> None:
    """Mark the driver's record of a run that stopped mid-way ``interrupted``, if it has one."""
    try:
        record = records.load_record(path)
    except (FileNotFoundError, records.RecordError):
        return
    if record["status"] == "running":
        record.update(status="interrupted", finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        records.write_record(path, record)


def _keep_split(runs_dir: Path, name: str, text: str) -> None:
    """Write a worker's split file beside the runs, or check it against the one there."""
    from battleground.core import splits as split_file

    path = runs_dir / records.SPLITS_FOLDER / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        records.atomic_write_bytes(path, text.encode("utf-8"))
    elif path.read_text(encoding="utf-8") != text:
        with tempfile.TemporaryDirectory() as folder:
            theirs = Path(folder) / name
            theirs.write_text(text, encoding="utf-8")
            if split_file.read(theirs) != split_file.read(path):
                raise split_file.SplitError(path, "val", f"the split the worker trained on ({name})")
