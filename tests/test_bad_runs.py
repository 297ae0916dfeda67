"""Runs that must not happen: a careless option, a declaration that names a run twice, a record
that would lose epochs, a checkpoint another run wrote, a driver killed under its workers.

Each case runs the real command (``python -m battleground``) and checks what a user sees and what
is left: the exit status, at most three lines on stderr and no traceback, the records in the
runs folder unchanged, no process of the command left behind, all within a stated time. The
training is real and tiny: a few hundred images, one or two epochs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from battleground.core import records
from battleground.train import checkpoint, ray_executor
from tests.process_tree import descendants

# every case starts the real command, most of them training in a subprocess (some on Ray)
pytestmark = pytest.mark.slow

NAME = "bad-runs"
VARIANT = "SimpleNet2[activation=ReLU,depth=0]"
OTHER = "SimpleNet2[activation=tanh,depth=0]"
QUICK_S = 60  # a refusal, torch's import included, on a busy two-core machine
TRAIN_S = 240  # a refusal or a run of a few tiny epochs


def _module(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}.py"
    path.write_text("from battleground.core.config import DEFAULTS\n"
                    "from battleground.core.spec import Investigation, variant\n" + textwrap.dedent(body))
    return path


def _tiny(folder: Path, name: str) -> Path:
    """Declare investigation ``name``: two tiny SimpleNet2 variants, one seed, 2 epochs."""
    return _module(folder, name, f"""
        INVESTIGATION = Investigation(
            name="{name}", question="What must be refused?",
            variants=(variant("SimpleNet2", depth=0, activation="ReLU"), variant("SimpleNet2", depth=0, activation="tanh")),
            seeds=(1729,),
            config=DEFAULTS.replace(train_size=500, val_size=500, test_size=500, epochs=2),
        )
    """)


@pytest.fixture
def bench(tmp_path, data_dir):
    """An experiment folder declaring ``bad-runs`` and an empty runs folder, with the environment
    a command needs to find them."""
    experiments = tmp_path / "experiments"
    _tiny(experiments, NAME)
    runs = tmp_path / "runs"
    runs.mkdir()
    env = {**os.environ, "BATTLEGROUND_EXPERIMENTS": str(experiments), "BATTLEGROUND_DATA_DIR": str(data_dir),
           "OMP_NUM_THREADS": "1"}
    return {"runs": runs, "env": env, "tmp": tmp_path}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _snapshot(runs: Path) -> dict[str, bytes]:
    """Every record, checkpoint and split file under ``runs`` (a dead process's lock, taken over
    and released, is not a result)."""
    return {str(p.relative_to(runs)): p.read_bytes() for p in sorted(runs.rglob("*"))
            if p.is_file() and p.suffix != ".lock"}


def battleground(bench: dict, *argv: str, within: float = QUICK_S, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``battleground *argv`` on the bench's runs; it must end within ``within`` seconds and
    leave no process of its own behind."""
    process = subprocess.Popen([sys.executable, "-m", "battleground", *argv], env=env or bench["env"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"battleground {' '.join(argv)} took more than {within} s")
    deadline = time.monotonic() + 5  # a watchdog of the command may take a moment to see it gone
    while (left := [pid for pid in _session(process.pid) if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"battleground {' '.join(argv)} left processes behind: {left}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _session(leader: int) -> list[int]:
    """The processes of the session ``leader`` started (its command, and all that command started,
    however they were reparented)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3]) == leader:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def refused(result: subprocess.CompletedProcess, status: int, *wanted: str) -> str:
    """The one error line of a refused command, checked: its status, at most three lines, no
    traceback, and each of ``wanted`` in it."""
    err = result.stderr
    assert result.returncode == status, (result.returncode, result.stdout[-2000:], err[-2000:])
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3, err
    assert err.startswith("battleground: error: "), err
    for text in wanted:
        assert text in err, (text, err)
    return err


def _run(bench: dict, *extra: str) -> list[str]:
    return ["run", NAME, "--device", "cpu", "--runs-dir", str(bench["runs"]), *extra]


def _record_path(bench: dict, variant: str = VARIANT, investigation: str = NAME) -> Path:
    return records.record_path(bench["runs"], investigation, variant, 1729)


# --- declarations (issue 22, item 9) -------------------------------------------------------------

DECLARATIONS = {
    "two variants of one name": ("variants=(variant('SimpleNet2', depth=0), variant('SimpleNet2', depth=0))",
                                 "variants: SimpleNet2[depth=0] is declared more than once"),
    "no variants": ("variants=()", "variants: expected at least one variant"),
    "no seeds": ("variants=(variant('SimpleNet2', depth=0),), seeds=()", "seeds: expected at least one seed"),
    "a seed given twice": ("variants=(variant('SimpleNet2', depth=0),), seeds=(1729, 7, 1729)",
                           "seeds: seed 1729 is given more than once"),
}


@pytest.mark.parametrize("case", DECLARATIONS)
def test_a_declaration_that_names_no_run_or_one_run_twice_is_one_line_naming_the_module(bench, case):
    declared, message = DECLARATIONS[case]
    folder = bench["tmp"] / "declared"
    module = _module(folder, "twice", f"INVESTIGATION = Investigation(name='twice', question='?', {declared})\n")
    env = {**bench["env"], "BATTLEGROUND_EXPERIMENTS": str(folder)}
    for argv in (["list"], ["run", "twice", "--device", "cpu", "--jobs", "2"]):
        result = battleground(bench, *argv, "--runs-dir", str(bench["runs"]), env=env)
        refused(result, 2, f"{module}: {message}")
    assert not any(bench["runs"].iterdir())  # nothing trained, no lock left


# --- options that exhaust the machine or hang (item 6) --------------------------------------------


def test_an_epoch_count_beyond_the_maximum_is_one_line(bench):
    refused(battleground(bench, *_run(bench, "--epochs", "99999999999999999999")), 2, "--epochs", "1,000,000")
    assert not any(bench["runs"].iterdir())


@pytest.mark.parametrize("address, status, wanted", [
    ("garbage", 2, "expected HOST:PORT"),
    ("10.0.0.1:99999", 2, "expected HOST:PORT"),
    ("127.0.0.1:1", 1, f"no Ray cluster answered within {ray_executor.CONNECT_TIMEOUT_S} s"),
])
def test_an_address_with_no_cluster_is_one_line_within_the_stated_time(bench, address, status, wanted):
    if not ray_executor.available():
        pytest.skip("Ray is not installed")
    for command in ("run", "plan"):
        argv = [command, NAME, "--executor", "ray", "--address", address, "--runs-dir", str(bench["runs"])]
        refused(battleground(bench, *argv, within=QUICK_S + ray_executor.CONNECT_TIMEOUT_S), status, wanted)
    assert not any(bench["runs"].iterdir())


def test_an_address_that_answers_but_is_no_ray_cluster_is_one_line_within_the_stated_time(bench):
    if not ray_executor.available():
        pytest.skip("Ray is not installed")
    # Ray joins a loopback address through this machine's own address, so listen on every interface
    # (for the test's minute only), accepting and never answering, as a foreign service would.
    listener = socket.create_server(("", 0))
    try:
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        within = QUICK_S + ray_executor.JOIN_TIMEOUT_S
        result = battleground(bench, *_run(bench, "--executor", "ray", "--address", address), within=within)
    finally:
        listener.close()
    refused(result, 1, f"--address {address}: something answers there, but no Ray cluster took this driver "
                       f"within {ray_executor.JOIN_TIMEOUT_S} s")
    assert not list(bench["runs"].rglob("*.json"))  # no record was written (the runs' locks name a dead process)


def test_shares_no_node_could_give_a_task_are_one_line_before_a_cluster_starts(bench):
    if not ray_executor.available():
        pytest.skip("Ray is not installed")
    for command in ("run", "plan"):
        argv = [command, NAME, "--executor", "ray", "--cpus-per-task", "1e9", "--runs-dir", str(bench["runs"])]
        refused(battleground(bench, *argv), 1, "--cpus-per-task 1e+09", "no node of this machine has that much")
    refused(battleground(bench, *_run(bench, "--executor", "ray", "--cpus-per-task", "inf")), 2, "finite")
    assert not any(bench["runs"].iterdir())


def test_slots_beyond_the_runs_cost_nothing(bench):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = battleground(bench, "plan", NAME, "--device", "cpu", "--slots", "1000000000", "--runs-dir",
                          str(bench["runs"]), within=TRAIN_S)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < max(before, 2_000_000), f"plan peaked at {peak_kib / 1e6:.1f} GB"
    assert not any(bench["runs"].iterdir())


def test_jobs_beyond_the_runs_start_one_worker_a_run(bench):
    result = battleground(bench, *_run(bench, "--jobs", "100000", "--epochs", "1"), within=TRAIN_S)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    workers = min(2, os.cpu_count())
    assert f"note: --jobs 100000: {workers} worker processes, for 2 runs" in result.stdout
    assert f"trained 2 runs in " in result.stdout and f"with {workers} one-thread processes" in result.stdout
    assert {r["status"] for r in records.load_runs(bench["runs"], NAME)} == {"complete"}


# --- recorded epochs are never discarded without --force (item 3) ----------------------------------


@pytest.fixture
def trained(bench):
    """The bench with both runs trained to complete 2-epoch records."""
    result = battleground(bench, *_run(bench), within=TRAIN_S)
    assert result.returncode == 0, result.stderr[-2000:]
    return bench


def _interrupt(path: Path) -> None:
    """Make ``path`` the record of a run that stopped after its epochs, with no checkpoint."""
    record = records.load_record(path)
    record.update(status="interrupted", test_accuracy=None, predictions=None)
    records.write_record(path, record)
    checkpoint.remove(checkpoint.checkpoint_path(path))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupted_record_without_a_checkpoint_is_kept_unless_forced(trained, jobs):
    path = _record_path(trained, OTHER)
    _interrupt(path)
    before = _snapshot(trained["runs"])
    result = battleground(trained, *_run(trained, "--epochs", "1", "--jobs", jobs))
    refused(result, 1, str(path), "2 epochs of an unfinished run (status interrupted)", "no checkpoint",
            "use --force")
    assert _snapshot(trained["runs"]) == before


def test_a_complete_record_shorter_than_asked_is_retrained_only_when_asked(trained):
    before = _snapshot(trained["runs"])
    result = battleground(trained, *_run(trained, "--epochs", "3", "--variant", VARIANT))
    refused(result, 1, str(_record_path(trained)), "a complete run of 2 epochs, and --epochs 3 asks for more",
            "use --replace to discard its 2 epochs")
    assert _snapshot(trained["runs"]) == before


def test_a_complete_record_longer_than_asked_is_kept(trained):
    before = _snapshot(trained["runs"])
    result = battleground(trained, *_run(trained, "--epochs", "1"))
    assert result.returncode == 0 and "skipping" in result.stdout, result.stderr[-2000:]
    assert _snapshot(trained["runs"]) == before


# --- a checkpoint resumes only the run that wrote it (item 2) -----------------------------------------


def _interrupted_by_kill(bench: dict, investigation: str = NAME) -> Path:
    """Train VARIANT in a child process killed (SIGKILL) once epoch 1 is recorded: its record and
    checkpoint stay, as after a power cut. Returns the record's path."""
    path = _record_path(bench, investigation=investigation)
    argv = ["run", investigation, "--device", "cpu", "--variant", VARIANT, "--epochs", "2",
            "--runs-dir", str(bench["runs"])]
    # A run of 2 epochs of 500 images is over in a moment: stop it by its own hand at the first
    # epoch's record instead of racing it, through the writer every record goes through.
    script = ("import os, runpy, sys; from battleground.core import records; write = records.write_text\n"
              "def stop(path, text):\n"
              "    write(path, text)\n"
              "    if '\"epoch\": [1]' in text: os.kill(os.getpid(), 9)\n"
              "records.write_text = stop; sys.argv = ['battleground'] + sys.argv[1:]\n"
              "runpy.run_module('battleground', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", script, *argv], env=bench["env"], capture_output=True,
                            text=True, timeout=TRAIN_S)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert checkpoint.checkpoint_path(path).exists() and len(records.load_record(path)["epochs"]["epoch"]) == 1
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_every_resume_is_said_and_kept_in_the_record(bench, jobs):
    path = _interrupted_by_kill(bench)
    result = battleground(bench, *_run(bench, "--variant", VARIANT, "--jobs", jobs), within=TRAIN_S)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"resuming {VARIANT} seed 1729 from epoch 1 of 2" in result.stdout
    record = records.load_record(path)
    assert record["status"] == "complete" and [entry["epoch"] for entry in record["resumed"]] == [1]


RESUME_HISTORIES = [
    ("not a list", "resumed"),
    ([{"epoch": 3, "at": "2026-01-01T00:00:00+00:00"}], "resumed[0]"),  # beyond the 2 epochs recorded
    ([{"epoch": 2, "at": "x"}, {"epoch": 1, "at": "y"}], "resumed[1]"),  # out of order
    ([{"epoch": 1}], "resumed[0]"),
]


def test_a_resume_history_that_cannot_be_is_refused_naming_the_entry(trained):
    path = _record_path(trained)
    whole = json.loads(path.read_text())
    for history, field in RESUME_HISTORIES:
        path.write_text(json.dumps({**whole, "resumed": history}))
        with pytest.raises(records.RecordError, match=rf"field '{re.escape(field)}': expected a list of"):
            records.load_record(path)


def test_a_checkpoint_of_another_investigation_is_refused(bench):
    _tiny(Path(bench["env"]["BATTLEGROUND_EXPERIMENTS"]), "bad-twin")
    theirs = _interrupted_by_kill(bench, "bad-twin")
    ours = _record_path(bench)
    ours.parent.mkdir()
    os.replace(checkpoint.checkpoint_path(theirs), checkpoint.checkpoint_path(ours))  # planted beside no record
    before = _snapshot(bench["runs"])
    result = battleground(bench, *_run(bench, "--variant", VARIANT))
    refused(result, 1, str(checkpoint.checkpoint_path(ours)), "another run", "'investigation': 'bad-twin'",
            "use --restart")
    assert _snapshot(bench["runs"]) == before


def test_a_checkpoint_that_another_attempt_wrote_is_refused_beside_this_record(bench):
    path = _interrupted_by_kill(bench)
    record = records.load_record(path)
    record["started"] = "2020-01-01T00:00:00+00:00"  # the record of another attempt at the run
    records.write_record(path, record)
    before = _snapshot(bench["runs"])
    result = battleground(bench, *_run(bench, "--variant", VARIANT))
    refused(result, 1, "cannot resume from this checkpoint", f"not written by the run of {path.name}",
            "use --restart")
    assert _snapshot(bench["runs"]) == before


def test_a_scratch_folder_others_can_write_to_is_refused_before_a_cluster_starts(bench):
    if not ray_executor.available():
        pytest.skip("Ray is not installed")
    temp = bench["tmp"] / "temp"
    scratch = temp / f"battleground-ray-{os.getuid()}"
    scratch.mkdir(parents=True)
    scratch.chmod(0o777)
    env = {**bench["env"], "TMPDIR": str(temp)}
    result = battleground(bench, *_run(bench, "--executor", "ray"), env=env)
    refused(result, 1, f"{scratch}: the Ray executor's scratch folder", "mode 777")
    assert not any(bench["runs"].iterdir())


def test_a_fresh_ray_sweep_never_resumes_a_checkpoint_left_in_scratch(bench):
    """``rm -rf runs/x`` then a re-run trains afresh: a scratch checkpoint without the driver's
    record of its run (left by an old sweep, or planted) is not resumed."""
    if not ray_executor.available():
        pytest.skip("Ray is not installed")
    old = _interrupted_by_kill(bench)
    planted = records.load_record(old)["started"]
    temp = bench["tmp"] / "temp"
    root = temp / f"battleground-ray-{os.getuid()}"  # the command's ray_executor.scratch_root()
    target = records.record_path(root / ray_executor.scratch_key(bench["runs"]), NAME, VARIANT, 1729)
    target.parent.mkdir(parents=True)
    root.chmod(0o700)
    # Also where scratch lived before it was private, shared by every user of the machine.
    shared = records.record_path(temp / "battleground-ray" / ray_executor.scratch_key(bench["runs"]), NAME,
                                 VARIANT, 1729)
    shared.parent.mkdir(parents=True)
    for folder in (shared, target):
        checkpoint.checkpoint_path(folder).write_bytes(checkpoint.checkpoint_path(old).read_bytes())
        folder.write_bytes(old.read_bytes())
    checkpoint.remove(checkpoint.checkpoint_path(old))
    old.unlink()  # the runs folder now holds no record of the run: `rm -rf runs/x`
    env = {**bench["env"], "TMPDIR": str(temp), "RAY_TMPDIR": tempfile.gettempdir()}
    result = battleground(bench, *_run(bench, "--executor", "ray", "--variant", VARIANT), within=TRAIN_S, env=env)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    fresh = records.load_record(old)
    assert fresh["status"] == "complete" and fresh["started"] != planted and "resumed" not in fresh
    assert "resuming" not in result.stdout
    assert (os.stat(root).st_mode & 0o777) == 0o700


# --- orphans (item 8) --------------------------------------------------------------------------------


def test_a_killed_jobs_driver_takes_its_workers_with_it_and_a_rerun_is_not_refused(bench):
    argv = [sys.executable, "-m", "battleground", *_run(bench, "--jobs", "2", "--epochs", "500")]
    driver = subprocess.Popen(argv, env=bench["env"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + TRAIN_S
        while time.monotonic() < deadline and len(list(bench["runs"].rglob("*.lock"))) < 2:
            assert driver.poll() is None, "the driver ended before its workers took their runs"
            time.sleep(0.2)
        workers = descendants(driver.pid)
        assert workers and len(list(bench["runs"].rglob("*.lock"))) == 2
        driver.kill()  # SIGKILL: no handler, no cleanup
        driver.wait()
        deadline = time.monotonic() + 10  # a worker ends within a second or two of its driver
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.2)
        left = [pid for pid in workers if _alive(pid)]
        assert not left, f"workers outlived their driver: {left}"
    finally:
        if driver.poll() is None:
            driver.kill()
        for pid in _session(driver.pid):  # what this test started, if an assertion left it running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    # The locks' owners are gone: a re-run takes them over instead of refusing (one short epoch
    # from scratch: what matters is that it is not refused).
    result = battleground(bench, *_run(bench, "--epochs", "1", "--variant", VARIANT, "--restart"), within=TRAIN_S)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "taking over" in result.stdout and "no longer running" in result.stdout


def _epochs(path: Path) -> int:
    """The epochs recorded at ``path`` so far (0 before the record is written)."""
    try:
        return len(records.load_record(path)["epochs"]["epoch"])
    except (OSError, records.RecordError):
        return 0


@pytest.mark.slow  # trains in two worker processes started by a subprocess, then stops them
@pytest.mark.parametrize("signum, to, status", [(signal.SIGINT, "group", 130), (signal.SIGINT, "driver", 130),
                                                (signal.SIGTERM, "group", 143)])
def test_ctrl_c_stops_a_jobs_driver_and_its_workers_and_marks_their_runs_interrupted(bench, signum, to, status):
    """Ctrl-C (the terminal signals the whole process group), SIGINT to the driver alone, or
    SIGTERM: the driver and its workers end within seconds with one line and no traceback, each
    run is marked interrupted, its checkpoint stays to resume from and its lock is released."""
    argv = [sys.executable, "-m", "battleground", *_run(bench, "--jobs", "2", "--epochs", "500")]
    with open(bench["tmp"] / "out", "w+") as out, open(bench["tmp"] / "err", "w+") as err:
        driver = subprocess.Popen(argv, env=bench["env"], stdout=out, stderr=err, start_new_session=True)
        paths = [_record_path(bench, VARIANT), _record_path(bench, OTHER)]
        try:
            deadline = time.monotonic() + TRAIN_S
            while time.monotonic() < deadline and not all(_epochs(path) for path in paths):
                assert driver.poll() is None, "the driver ended before both workers trained an epoch"
                time.sleep(0.2)
            assert all(_epochs(path) for path in paths), "the workers did not both train within the time"
            (os.killpg if to == "group" else os.kill)(driver.pid, signum)
            driver.wait(timeout=15)  # TimeoutExpired: not stopped; it takes 1-3 s on a busy two-core machine
            deadline = time.monotonic() + 5  # the resource tracker ends once the driver has
            while (left := [pid for pid in _session(driver.pid) if _alive(pid)]) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not left, f"processes outlived the driver: {left}"
        finally:
            for pid in _session(driver.pid):  # what this test started, if an assertion left it running
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        err.seek(0)
        errors = err.read()
    assert driver.returncode == status, (driver.returncode, errors[-2000:])
    assert errors.strip() == "battleground: interrupted", errors[-2000:]
    for path in paths:
        assert records.load_record(path)["status"] == "interrupted", path
        assert checkpoint.checkpoint_path(path).exists(), path
    assert not [p.name for p in bench["runs"].rglob("*") if p.suffix in (".lock", ".tmp")]


def test_a_killed_ray_driver_takes_its_local_cluster_with_it(bench):
    if not ray_executor.available():
        pytest.skip("Ray is not installed")
    env = {**bench["env"], "TMPDIR": str(bench["tmp"]), "RAY_TMPDIR": tempfile.gettempdir()}
    argv = [sys.executable, "-m", "battleground", *_run(bench, "--executor", "ray", "--variant", VARIANT,
                                                           "--epochs", "500")]
    driver = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    path = _record_path(bench)
    try:
        deadline = time.monotonic() + TRAIN_S
        while time.monotonic() < deadline and not path.exists():
            assert driver.poll() is None, "the driver ended before its first record"
            time.sleep(0.2)
        cluster = [pid for pid in _session(driver.pid) if pid != driver.pid]
        assert path.exists() and cluster
        driver.kill()  # SIGKILL: Ray's own shutdown never runs
        driver.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(pid) for pid in _session(driver.pid)):
            time.sleep(0.2)
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:60] for pid in _session(driver.pid) if _alive(pid)}
        assert not left, f"the local cluster outlived its driver: {left}"
    finally:
        for pid in _session(driver.pid):  # what this test started, if an assertion left it running
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
