"""The Ray executor: the local executor's units of work as tasks on a Ray cluster.

A unit is what :func:`battleground.train.local.run_local` trains at once: one run, or a group of
same-shape runs that a GPU trains batched. Each unit becomes one Ray task. The task trains in a
scratch folder on its node (``<temp>/battleground-ray-<uid>/...``, private to the user) and sends every record it writes
(after each epoch and at the end) to the driver through a mailbox actor; the driver alone writes
``runs/``, through :mod:`battleground.core.records`, holding each run's lock and skipping finished
runs as every executor does (:mod:`battleground.train.executor`). No shared file system is needed.

Checkpoints stay in the node's scratch folder. A task whose worker dies (a killed process, a lost
node) is retried up to ``max_retries`` times: on the same node it resumes from its last
checkpoint, exactly as the local executor resumes; on another node it finds no checkpoint and
trains the run again from epoch 1, which gives the same record (timings aside). A scratch
checkpoint is resumed only when the driver's record of the run is the one it wrote, so a fresh
sweep never continues an old sweep's (or a planted) checkpoint. A run that raises
is reported and not retried. Ctrl-C cancels every task and marks the runs in progress
``interrupted``; running the sweep again resumes them (from the scratch checkpoints, on a local
cluster).

Without ``address`` a local cluster starts on this machine, bound to loopback only, without usage
statistics or dashboard; with it the driver joins an existing cluster (see the README).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
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
CONNECT_TIMEOUT_S = 10  # how long the driver waits for --address to answer before it gives up
JOIN_TIMEOUT_S = 60  # ... and for the cluster there to take it, once something answers
_ADDRESS = re.compile(r"^(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})$")


class RayMissing(Exception):
    """Ray is not installed."""


class ClusterError(Exception):
    """A cluster that cannot take the sweep (no cluster at the address, none of its nodes large
    enough for one task), or a scratch folder others could write to: one line that says so."""


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
        reachable(cluster.address)  # Ray itself waits for an absent head without end
        ray = _ray()
        # ... and for a head that answers but is not Ray's (or not this Ray's) too. Its client then
        # blocks this thread where no exception reaches it, so the only bounded way out is to end
        # the process: records are untouched, and the runs' locks name a dead process, which the
        # next run takes over. Meanwhile its retries would fill the terminal: they go to a file,
        # whose last line is said if the join fails.
        terminal = os.dup(2)
        with tempfile.TemporaryFile() as noise:
            os.dup2(noise.fileno(), 2)
            timer = threading.Timer(JOIN_TIMEOUT_S, _give_up, args=(cluster.address, terminal))
            timer.daemon = True
            timer.start()
            try:
                ray.init(address=cluster.address, include_dashboard=False, log_to_driver=True,
                         runtime_env={"env_vars": {"RAY_USAGE_STATS_ENABLED": "0"}})
            except Exception as error:  # noqa: BLE001 - Ray raises many kinds for a cluster it cannot join
                raise ClusterError(f"--address {cluster.address}: Ray could not join the cluster there "
                                   f"({_first_line(error)})") from None
            finally:
                timer.cancel()
                os.dup2(terminal, 2)
                os.close(terminal)
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
    _end_cluster_with_driver()
    return ray


# Ray ends its GCS server and raylet with the driver that started them (the kernel signals them),
# but not the agents the raylet starts: a SIGKILLed driver left them running. This watchdog,
# started beside the local cluster, waits for the driver to go and then ends every process of the
# cluster that is still the one it saw (same pid, same start time: a reused pid is left alone).
_WATCHDOG = """
import os, sys, time
driver, seen = int(sys.argv[1]), [tuple(map(int, item.split(":"))) for item in sys.argv[2:]]
def started(pid):
    try:
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None
while os.getppid() == driver:
    time.sleep(0.5)
for pid, start in seen:
    if started(pid) == start:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
"""


def _proc_stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _end_cluster_with_driver() -> None:
    """Start the :data:`_WATCHDOG` over this process's descendants (Linux: it reads ``/proc``)."""
    if not Path("/proc/self/stat").exists():
        return
    stats = {int(entry.name): _proc_stat(int(entry.name)) for entry in Path("/proc").iterdir() if entry.name.isdigit()}
    family, frontier = {}, {os.getpid()}
    while frontier:
        frontier = {pid for pid, stat_ in stats.items() if stat_ and int(stat_[1]) in frontier and pid not in family}
        family.update((pid, stats[pid][19]) for pid in frontier)
    import subprocess

    subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), *(f"{pid}:{start}" for pid, start in family.items())],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _give_up(address: str, terminal: int) -> None:
    os.write(terminal, (f"battleground: error: --address {address}: something answers there, but no Ray cluster "
                        f"took this driver within {JOIN_TIMEOUT_S} s; check that the address is a Ray head's (ray "
                        "status on it) and that its Ray version is this one's\n").encode())
    os._exit(1)


def check_address(address: str) -> tuple[str, int]:
    """``(host, port)`` of ``HOST:PORT``; anything else is a :class:`ClusterError`."""
    match = _ADDRESS.match(address)
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise ClusterError(f"--address {address!r}: expected HOST:PORT of a Ray cluster's head node, "
                           "e.g. 10.0.0.1:6379")
    return match["host"].strip("[]"), int(match["port"])


def reachable(address: str) -> None:
    """Refuse, within :data:`CONNECT_TIMEOUT_S` seconds, an address where nothing answers."""
    host, port = check_address(address)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise ClusterError(f"--address {address}: no Ray cluster answered within {CONNECT_TIMEOUT_S} s "
                           f"({error.strerror or error or type(error).__name__}); start one there with "
                           "`ray start --head`, or leave out --address for a local cluster") from None


def check_fits(cluster: Cluster, nodes: list[dict], where: str) -> None:
    """Refuse shares that no node of ``nodes`` (each one's resources) could ever give one task:
    Ray would wait for such a node without end."""
    def fits(node: dict) -> bool:
        return node.get("CPU", 0) >= cluster.cpus_per_task and node.get("GPU", 0) >= cluster.gpus_per_task

    if not any(fits(node) for node in nodes):
        cpus = max((node.get("CPU", 0) for node in nodes), default=0)
        gpus = max((node.get("GPU", 0) for node in nodes), default=0)
        raise ClusterError(f"--cpus-per-task {cluster.cpus_per_task:g} --gpus-per-task {cluster.gpus_per_task:g}: no "
                           f"node of {where} has that much (the largest: {cpus:g} CPUs, {gpus:g} GPUs); ask for "
                           "at most that")


def _local_node(cluster: Cluster) -> dict:
    return {"CPU": cluster.local_cpus or os.cpu_count() or 1, "GPU": _local_gpus()}


def _nodes(ray) -> list[dict]:
    return [node.get("Resources", {}) for node in ray.nodes() if node.get("Alive")]


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
        resources = _local_node(cluster)
        check_fits(cluster, [resources], "this machine")
    else:
        ray = connect(cluster)
        try:
            resources = ray.cluster_resources()
            check_fits(cluster, _nodes(ray), f"the cluster at {cluster.address}")
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


def scratch_key(runs_dir: Path | str) -> str:
    """One scratch subfolder per driver's runs folder, so two sweeps into different folders never
    share checkpoints."""
    return hashlib.sha256(f"{socket.gethostname()}:{Path(runs_dir).resolve()}".encode()).hexdigest()[:12]


def scratch_root() -> Path:
    """This user's scratch folder on this node: ``<temp>/battleground-ray-<uid>``, made private by
    :func:`private_folder` before use."""
    return Path(tempfile.gettempdir()) / f"battleground-ray-{os.getuid()}"


def scratch_folder(runs_dir: Path | str) -> Path:
    """The folder on a node where tasks of the sweep into ``runs_dir`` train."""
    return scratch_root() / scratch_key(runs_dir)


def private_folder(path: Path) -> Path:
    """``path``, created readable and writable by this user only (0700), or refused if it is not
    a folder of this user's that no one else can write to: a checkpoint another user could plant
    there would become this user's results."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a folder"
        raise ClusterError(f"{path}: the Ray executor's scratch folder must be this user's folder that no one else "
                           f"can write to; found {kind} of uid {info.st_uid} with mode {stat.S_IMODE(info.st_mode):o}: "
                           "remove it (it is recreated private), or point TMPDIR elsewhere")
    return path


class Mailbox:
    """An actor that holds the records workers send until the driver takes them, in order."""

    def __init__(self):
        self.records: list[dict] = []

    def put(self, record: dict) -> None:
        self.records.append(record)

    def take(self) -> list[dict]:
        taken, self.records = self.records, []
        return taken


def _train_unit(tasks: list[Task], key: str, data_dir: str | None, device_name: str, threads: int,
                sweep_id: str, afresh: bool, expected: list[str | None], trained_by: dict,
                mailbox) -> tuple[list[dict], dict[str, str]]:
    """On a worker: train ``tasks`` in this node's scratch folder for the sweep ``key``, sending
    each record to ``mailbox`` as it is written; returns the final records and the split files
    they were scored on (name -> text). ``sweep_id``: the sweep's token; ``afresh``: its runs start
    from epoch 1 (``--restart``, ``--force``). ``expected``: for each task, when the unfinished run that the
    driver's record holds started (None: no recorded epochs to continue), so that a checkpoint
    is resumed only by the run that wrote it. ``trained_by``: the executor's description, for
    the records."""
    import ray
    import torch

    from battleground.core import splits as split_file
    from battleground.train import checkpoint, executor, local

    scratch = private_folder(scratch_root()) / key
    torch.set_num_threads(max(1, int(threads)))
    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    for task, started in zip(tasks, expected):  # the driver decided these need training
        path = records.record_path(scratch, task.investigation, task.variant.name, task.seed)
        saved = checkpoint.checkpoint_path(path)
        # A run is set up once per sweep: a retry of this task (its worker died) finds the marker
        # and resumes from the checkpoint its first attempt wrote.
        marker = path.with_name(f"{path.name}.{sweep_id}")
        if marker.exists():
            continue
        if afresh or not _continues(saved, started):  # another sweep's, or another run's: never resumed
            checkpoint.remove(saved)
            path.unlink(missing_ok=True)
            if started is not None and not afresh:
                raise executor.WouldDiscard(
                    f"{task.variant.name} seed {task.seed}: its record holds epochs of an unfinished run, and no "
                    f"checkpoint of that run is on {socket.gethostname()} to resume from; use --restart (or "
                    "--force) to train it again from epoch 1")
        for stale in path.parent.glob(f"{path.name}.*"):  # an interrupted sweep's marker
            stale.unlink(missing_ok=True)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    # Sent without waiting: a task blocked in ray.get lends its CPU to another task, and two
    # trainings would share a core. One caller's calls to an actor run in the order made.
    sent = []

    def report(record: dict) -> None:
        sent[:] = [mailbox.put.remote(record)]

    done = local.run_local(tasks, torch.device(device_name), scratch, data_dir=data_dir, progress=False,
                           log=lambda _: None, report=report, trained_by=trained_by)
    ray.get(sent)  # every record delivered before the task ends
    kept = {}
    for task in tasks:
        path = split_file.for_config(scratch, task.config)
        kept[path.name] = path.read_text(encoding="utf-8")
        path = records.record_path(scratch, task.investigation, task.variant.name, task.seed)
        path.unlink(missing_ok=True)
        path.with_name(f"{path.name}.{sweep_id}").unlink(missing_ok=True)
    return done, kept


def _continues(saved: Path, started: str | None) -> bool:
    """Whether the scratch checkpoint ``saved`` continues the run the driver's record holds, the
    one that started at ``started``."""
    from battleground.train import checkpoint

    if started is None or not saved.exists():
        return False
    try:
        return checkpoint.load(saved)["record"].get("started") == started
    except checkpoint.CheckpointError:
        return False


def _unfinished_start(path: Path) -> str | None:
    """When the unfinished run recorded at ``path`` started, if it holds epochs; else None."""
    try:
        record = records.load_record(path)
    except (FileNotFoundError, records.RecordError):
        return None
    from battleground.train import executor

    unfinished = record["status"] not in executor.FINISHED and record["epochs"]["epoch"]
    return record.get("started") if unfinished else None


@dataclass(frozen=True)
class _Sweep:
    """What the driver knows of one sweep onto the cluster: its tasks, where their records go and
    how to train them."""

    tasks: list[Task]
    paths: list[Path]  # each task's record in the driver's runs folder
    runs_dir: Path
    cluster: Cluster
    data_dir: Path | str | None
    device: str
    afresh: bool  # --restart or --force: every run starts from epoch 1
    batch: bool | None
    progress: bool
    log: Callable[[str], None]
    sweep_id: str  # marks this sweep's scratch runs, so a retried task resumes its own checkpoint


def run_ray(tasks: list[Task], runs_dir: Path | str, cluster: Cluster, data_dir: Path | str | None = None,
            device: str = "auto", force: bool = False, restart: bool = False, batch: bool | None = None,
            progress: bool = True, log: Callable[[str], None] = print,
            replace: bool = False) -> tuple[list[dict | None], list[Failed]]:
    """Train ``tasks`` on a Ray cluster; returns their records in task order (None for a run that
    failed) and the failures. Finished runs are skipped unless ``force``; ``replace`` trains again
    those that fall short of their task (:func:`battleground.train.executor.falls_short`)."""
    from battleground.train import executor

    runs_dir = Path(runs_dir)
    # What can be known before a lock is taken or a cluster joined: nothing is touched on refusal.
    if cluster.address is None:  # the workers' node is this one
        private_folder(scratch_root())
        check_fits(cluster, [_local_node(cluster)], "this machine")
    else:
        reachable(cluster.address)
    sweep = _Sweep(tasks, [executor.record_path(t, runs_dir) for t in tasks], runs_dir, cluster, data_dir, device,
                   restart or force, batch, progress, log, uuid.uuid4().hex[:12])
    # the driver alone writes runs/: it holds every run's lock until the sweep ends
    with executor.claimed(tasks, range(len(tasks)), runs_dir, force, resume=False, log=log,
                          say_skips=False) as claim:
        if claim.finished:
            log(f"skipping {len(claim.finished)} finished runs (--force retrains them)")
        executor.check_nothing_lost([tasks[i] for i in claim.todo], runs_dir, force, restart,
                                    resumable=lambda path: True, replace=replace)  # scratch checkpoints are the workers' to check
        results: dict[int, dict | None] = dict(claim.finished)
        failures: list[Failed] = []
        if claim.todo:
            trained, failures = _train_on_cluster(sweep, claim.todo)
            results.update(trained)
    return [results.get(i) for i in range(len(tasks))], failures


def _train_on_cluster(sweep: _Sweep, todo: list[int]) -> tuple[dict[int, dict | None], list[Failed]]:
    """Train the runs of ``sweep`` at positions ``todo`` as Ray tasks, writing each record a worker
    sends; returns position -> final record (None: failed) and the failures. Ctrl-C cancels every
    task and marks the runs in progress ``interrupted``."""
    from tqdm import tqdm

    from battleground.train import executor, local

    tasks, paths, cluster, afresh = sweep.tasks, sweep.paths, sweep.cluster, sweep.afresh
    results: dict[int, dict | None] = {}
    failures: list[Failed] = []
    ray = connect(cluster)
    try:
        if cluster.address is not None:
            check_fits(cluster, _nodes(ray), f"the cluster at {cluster.address}")
        described = executor.describe("ray", cluster=cluster.address or "local",
                                      cpus_per_task=cluster.cpus_per_task, gpus_per_task=cluster.gpus_per_task,
                                      nodes=len(_nodes(ray)), concurrent_tasks=_slots(ray.cluster_resources(), cluster))
        mailbox = ray.remote(num_cpus=0)(Mailbox).remote()
        remote = ray.remote(_train_unit).options(num_cpus=cluster.cpus_per_task, num_gpus=cluster.gpus_per_task,
                                                 max_retries=cluster.max_retries, retry_exceptions=False)
        batch = sweep.batch if cluster.gpus_per_task else False  # a CPU trains a group no faster than its runs alone
        pending = {}
        for unit in local.units([tasks[i] for i in todo], sweep.runs_dir, batch, resume=False):
            positions = [todo[j] for j in unit]
            expected = [None if afresh else _unfinished_start(paths[i]) for i in positions]
            ref = remote.remote([tasks[i] for i in positions], scratch_key(sweep.runs_dir),
                                None if sweep.data_dir is None else str(sweep.data_dir), sweep.device,
                                cluster.cpus_per_task, sweep.sweep_id, afresh, expected, described, mailbox)
            pending[ref] = positions
        where = {(tasks[i].investigation, tasks[i].variant.name, tasks[i].seed): i for i in todo}
        bar = tqdm(total=len(todo), desc="runs", unit="run", disable=not sweep.progress)
        log_line = bar.write if sweep.progress else sweep.log
        log_line(f"{len(todo)} runs in {len(pending)} Ray tasks, {described['concurrent_tasks']} at a time "
                 f"on {described['nodes']} node(s)")

        latest: dict[int, tuple] = {}  # position -> (started, epochs) of the record last written
        # position -> (the run's start, its resumes said so far): the driver's record's until now
        resumes = {i: _resumes_recorded(paths[i]) for i in todo}

        def announce(i: int, record: dict) -> None:
            history = record.get("resumed", [])
            started, seen = resumes[i]
            for entry in history[seen if record.get("started") == started else 0:]:
                log_line(f"resuming {record['variant']} seed {record['seed']} from epoch {entry['epoch']}")
            resumes[i] = (record.get("started"), len(history))

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
                announce(i, record)
                records.write_record(paths[i], record)

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
                            _keep_split(sweep.runs_dir, name, text)
                        for i, record in zip(positions, done):
                            announce(i, record)
                            records.write_record(paths[i], record)
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
    return results, failures


def _resumes_recorded(path: Path) -> tuple[str | None, int]:
    """``(started, resumes)`` of the driver's record at ``path``: resumes said before this sweep."""
    try:
        record = records.load_record(path)
    except (FileNotFoundError, records.RecordError):
        return None, 0
    return record.get("started"), len(record.get("resumed", []))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return next((line for line in reversed(text) if line.strip()), type(error).__name__)[:300]


def _interrupt(path: Path) -> None:
    """Mark the driver's record of a run that stopped mid-way ``interrupted``, if it has one."""
    from battleground.train import executor

    try:
        record = records.load_record(path)
    except (FileNotFoundError, records.RecordError):
        return
    if executor.mark_interrupted(record):
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
