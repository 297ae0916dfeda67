"""The Ray executor on a real local Ray cluster: the local executor's records, a worker killed
with SIGKILL retried to the same records, a driver interrupted and re-run, and every listener of
the cluster on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from battleground.core import records
from battleground.core.config import DEFAULTS
from battleground.core.spec import Task, variant
from battleground.train import local, ray_executor
from tests.process_tree import descendants

pytestmark = pytest.mark.slow
assert ray_executor.available(), 'the Ray executor\'s tests need Ray: pip install -e ".[ray]" (make test does)'
CONFIG = DEFAULTS.replace(epochs=4, train_size=3_000, val_size=1_000, test_size=500)
TASKS = [Task("ray-test", variant("SimpleNet2", depth=0, activation="ReLU"), 1729, CONFIG),
         Task("ray-test", variant("SimpleNet2", depth=1, activation="tanh"), 271828, CONFIG),
         Task("ray-test", variant("LeNet5", activation="tanh"), 1729, CONFIG.replace(epochs=6))]
TIMING = {"seconds"}  # epoch columns that differ between two runs of the same code


def values(record: dict) -> dict:
    """A record without what differs between two runs of the same training: timings, dates,
    the machine's description, the executor and the history of resumes."""
    kept = {key: value for key, value in record.items()
            if key not in ("started", "finished", "environment", "timed_epoch_s", "resumed")}
    kept["epochs"] = {name: column for name, column in record["epochs"].items() if name not in TIMING}
    return kept


def written(runs: Path, task: Task) -> dict:
    return records.load_record(records.record_path(runs, task.investigation, task.variant.name, task.seed))


@pytest.fixture(scope="module")
def local_records(tmp_path_factory, data_dir) -> list[dict]:
    """The local executor's records of TASKS, as written (and read back: numbers as stored)."""
    runs = tmp_path_factory.mktemp("local-runs")
    local.run_local(TASKS, torch.device("cpu"), runs, data_dir=data_dir, progress=False, log=lambda _: None)
    return [written(runs, task) for task in TASKS]


def _train_unit_pids() -> list[int]:
    """This process's Ray workers that run a task of the executor (Ray names them after the
    function); not another test process's."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::_train_unit"):
                found.append(pid)
        except OSError:
            continue
    return found


def _wait_for(condition, timeout: float = 240, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError("timed out waiting")


def _epochs_written(path: Path) -> int:
    try:
        record = records.load_record(path)
    except (FileNotFoundError, records.RecordError):
        return 0
    return len(record["epochs"]["epoch"]) if record["status"] == "running" else 0


def test_a_local_cluster_writes_the_local_executors_records(tmp_path, data_dir, local_records):
    done, failures = ray_executor.run_ray(TASKS, tmp_path, ray_executor.Cluster(local_cpus=2), data_dir=data_dir,
                                          progress=False, log=lambda _: None)
    assert failures == []
    for task, record, local in zip(TASKS, done, local_records):
        found = written(tmp_path, task)
        assert values(found) == values(local)
        assert record["started"] == found["started"] and found["status"] == "complete"
        assert found["environment"]["executor"]["name"] == "ray"
        assert local["environment"]["executor"] == {"name": "local"}
    assert sorted(p.name for p in (tmp_path / "splits").iterdir()) == ["mnist-seed1729-val1000-test500.json"]
    # a second sweep finds every run finished and trains nothing
    again, _ = ray_executor.run_ray(TASKS, tmp_path, ray_executor.Cluster(local_cpus=2), data_dir=data_dir,
                                    progress=False, log=lambda _: None)
    assert [r["started"] for r in again] == [r["started"] for r in done]


def test_a_worker_killed_mid_run_is_retried_to_the_same_record(tmp_path, data_dir, local_records):
    task, local = TASKS[2], local_records[2]  # LeNet5: the slowest, so there is an epoch to kill it in
    path = records.record_path(tmp_path, task.investigation, task.variant.name, task.seed)
    killed = {}

    def kill_after_first_epoch():
        killed["epochs"] = _wait_for(lambda: _epochs_written(path))
        pids = _wait_for(_train_unit_pids)
        os.kill(pids[0], signal.SIGKILL)
        killed["pid"] = pids[0]

    killer = threading.Thread(target=kill_after_first_epoch, daemon=True)
    killer.start()
    done, failures = ray_executor.run_ray([task], tmp_path, ray_executor.Cluster(local_cpus=1, max_retries=2),
                                          data_dir=data_dir, progress=False, log=lambda _: None)
    killer.join(timeout=10)
    assert "pid" in killed and 1 <= killed["epochs"] < task.config.epochs  # killed mid-run
    assert failures == []
    assert values(records.load_record(path)) == values(local) and done[0]["status"] == "complete"


def test_a_task_that_raises_is_reported_not_retried(tmp_path, data_dir):
    missing = tmp_path / "no-data"
    missing.mkdir()
    done, failures = ray_executor.run_ray(TASKS[:1], tmp_path / "runs", ray_executor.Cluster(local_cpus=1),
                                          data_dir=missing, progress=False, log=lambda _: None)
    assert done == [None]
    assert len(failures) == 1 and "no-data" in failures[0].error


def _listeners(pid: int) -> list[str]:
    """The local addresses of the TCP sockets listening, and UDP sockets bound, in ``pid`` and its
    descendants."""
    family = descendants(pid) | {pid}
    inodes = set()
    for member in family:
        try:
            for fd in Path(f"/proc/{member}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = []
    for table, listening in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == listening and fields[9] in inodes:
                found.append(fields[1].split(":")[0])
    return found


# 127.0.0.1, ::1 and ::ffff:127.0.0.1 as /proc/net writes them
LOOPBACK = {"0100007F", "00000000000000000000000001000000", "0000000000000000FFFF00000100007F"}


def test_an_interrupted_driver_leaves_loadable_records_a_rerun_completes_and_nothing_listens_outside_loopback(
        tmp_path, data_dir, repo_root, local_records):
    task, local = TASKS[2], local_records[2]
    path = records.record_path(tmp_path, task.investigation, task.variant.name, task.seed)
    script = (f"import sys; from battleground.train import ray_executor as r; from tests.test_ray_executor import TASKS; "
              f"r.run_ray([TASKS[2]], {str(tmp_path)!r}, r.Cluster(local_cpus=1), data_dir={str(data_dir)!r}, progress=False)")
    driver = subprocess.Popen([sys.executable, "-c", script], cwd=repo_root, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        _wait_for(lambda: _epochs_written(path) or driver.poll() is not None)
        listening = _listeners(driver.pid)
        driver.send_signal(signal.SIGINT)
        output, _ = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
    assert listening, "the cluster's processes were not found"
    assert set(listening) <= LOOPBACK, listening
    assert "KeyboardInterrupt" in output, output
    interrupted = records.load_record(path)
    assert interrupted["status"] == "interrupted" and 1 <= len(interrupted["epochs"]["epoch"]) < task.config.epochs
    done, failures = ray_executor.run_ray([task], tmp_path, ray_executor.Cluster(local_cpus=1), data_dir=data_dir,
                                          progress=False, log=lambda _: None)
    assert failures == [] and values(records.load_record(path)) == values(local)
