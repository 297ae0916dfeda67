"""One runner per run: a second `battleground run` of a run in progress is refused, naming the
other process; the lock of a process killed with SIGKILL is taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from battleground.core import lock, records
from battleground.train.cli import main

INVESTIGATION = "activation-functions"
SIMPLE = "SimpleNet2[activation=ReLU,depth=0]"
# Another process that takes a run's lock the way `battleground run` does, then holds it.
HOLDER = "import sys, time; from battleground.core import lock; lock.acquire(sys.argv[1]); print('held', flush=True); time.sleep(300)"


def _run(data_dir, runs) -> list[str]:
    return ["run", INVESTIGATION, "--smoke", "--variant", SIMPLE, "--epochs", "1", "--device", "cpu",
            "--data-dir", str(data_dir), "--runs-dir", str(runs)]


@pytest.fixture
def holder(tmp_path, repo_root):
    """A real process holding the lock of the smoke run of SIMPLE under tmp_path."""
    path = lock.lock_path(records.record_path(tmp_path, INVESTIGATION, SIMPLE, 1729))
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=repo_root,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "held\n"
    yield process, path
    process.kill()
    process.wait()


def test_a_second_runner_is_refused_naming_the_first(data_dir, tmp_path, holder, capsys):
    process, path = holder
    assert main(_run(data_dir, tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"battleground: error: {path}: this run is already being trained by "
                          f"pid {process.pid} on {socket.gethostname()}, started 20")
    assert err.count("\n") == 1
    assert not records.record_path(tmp_path, INVESTIGATION, SIMPLE, 1729).exists()
    assert json.loads(path.read_text())["pid"] == process.pid  # the holder's lock is untouched


def test_the_lock_of_a_killed_runner_is_taken_over_with_a_note(data_dir, tmp_path, holder, capsys):
    process, path = holder
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert path.exists()  # SIGKILL left it behind
    assert main(_run(data_dir, tmp_path)) == 0
    out = capsys.readouterr().out
    assert f"note: taking over {path.name}, left by pid {process.pid}" in out and "no longer running" in out
    assert records.load_record(records.record_path(tmp_path, INVESTIGATION, SIMPLE, 1729))["status"] == "complete"
    assert not path.exists()  # released at the end


def test_a_lock_from_another_host_or_unreadable_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "run.lock"
    path.write_text(json.dumps({"pid": os.getpid(), "host": "elsewhere", "started": "2026-01-01T00:00:00+00:00"}))
    with pytest.raises(lock.LockHeld, match="locked by pid .* on elsewhere, .*if that process is gone, delete the lock"):
        lock.acquire(path)
    path.write_text("{")
    with pytest.raises(lock.LockHeld, match="unreadable; if no run is in progress, delete it"):
        lock.acquire(path)


def test_release_leaves_a_lock_that_is_not_ours(tmp_path):
    path = tmp_path / "run.lock"
    with lock.held(path):
        owner = json.loads(path.read_text())
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
        path.unlink()
        path.write_text(json.dumps({**owner, "pid": 1}))  # another process took it over meanwhile
    assert json.loads(path.read_text())["pid"] == 1


def test_the_lock_of_a_runner_that_exited_but_is_not_yet_reaped_is_taken_over(tmp_path, holder):
    process, path = holder
    process.send_signal(signal.SIGKILL)
    # not waited for: a zombie until its parent reaps it, as a killed driver's worker is until init does
    for _ in range(200):
        if lock._zombie(process.pid):
            break
        time.sleep(0.01)
    else:
        pytest.fail("the killed holder never showed as exited")
    assert not lock._alive(process.pid)
    said = []
    with lock.held(path, log=said.append):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert said and "no longer running" in said[0]
    process.wait()
    assert lock._alive(os.getpid()) and not lock._zombie(os.getpid())
