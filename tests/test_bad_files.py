"""The catalogue of inputs that are not what they claim, and of file-system errors.

Anything in ``runs/`` or ``site_src/`` may be any kind of file a file system holds (a folder, a
named pipe, a socket, a device, a broken or looping link, a huge file) and any text Python's
JSON reader accepts but the format does not. Each case builds with ``build.py`` and must end
with exit status 1 and one ``error:`` line that names the file and says what was expected, never
a traceback and never a hang. The trainer gets the same treatment for a runs folder that is
read-only or full (small tmpfs mounts; skipped, with the reason, where the sandbox refuses them).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from battleground.site import builder
from tests.golden import sample

INVESTIGATION = "activation-functions"
RECORD = "SimpleNet2_activation-ReLU_depth-0.seed1729.json"
SIMPLE = "SimpleNet2[activation=ReLU,depth=0]"
INDEX = "---\ntitle: Home\nsummary: Home page.\norder: 0\n---\n\n{{ investigations }}\n"
PAGE = ("---\ntitle: Activation functions\nsummary: A test page.\norder: 1\ninvestigation: activation-functions\n"
        "---\n\nProse.\n")


@pytest.fixture
def tree(tmp_path):
    """A valid source tree: two pages and the golden sample's runs."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.md").write_text(INDEX, encoding="utf-8")
    (tmp_path / "src" / f"{INVESTIGATION}.md").write_text(PAGE, encoding="utf-8")
    shutil.copytree(sample.RUNS, tmp_path / "runs")
    (tmp_path / "runs" / INVESTIGATION / "markup-variant.seed1729.json").unlink()
    return tmp_path


@pytest.fixture
def no_hang():
    """Fail, rather than wait for ever, if a case blocks (a named pipe opened for reading)."""
    def expired(signum, frame):
        raise AssertionError("the build hung")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def build(tree: Path, capsys, *, src=None, runs=None, models=sample.MODELS, out=None, strict=False) -> str:
    """Run ``build.py``'s main in this process; returns its stderr, checked to be one error line."""
    argv = ["--src", str(src or tree / "src"), "--runs", str(runs or tree / "runs"), "--models", str(models),
            "--out", str(out or tree / "site")] + (["--strict"] if strict else [])
    capsys.readouterr()
    status = builder.main(argv)
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    return errors[0]


def _record_text(tree: Path) -> str:
    return (tree / "runs" / INVESTIGATION / RECORD).read_text(encoding="utf-8")


def _replace_record(tree: Path, text: str | bytes) -> Path:
    path = tree / "runs" / INVESTIGATION / RECORD
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    return path


def _with_value(tree: Path, field: str, value: str) -> Path:
    """The record with ``field``'s value replaced by the raw JSON text ``value``."""
    text, count = re.subn(rf'"{field}": [^,\n]+', lambda _: f'"{field}": {value}', _record_text(tree), count=1)
    assert count == 1
    return _replace_record(tree, text)


def _in_place_of_record(tree: Path, make) -> Path:
    path = tree / "runs" / INVESTIGATION / RECORD
    path.unlink()
    make(path)
    return path


def _socket(path: Path) -> None:
    here = os.getcwd()
    os.chdir(path.parent)  # a socket's path must be short: bind it by its name alone
    try:
        server = socket.socket(socket.AF_UNIX)
        server.bind(path.name)
        server.close()
    finally:
        os.chdir(here)


def _device(path: Path, kind: int) -> None:
    try:
        os.mknod(path, kind | 0o600, os.makedev(1, 3) if kind == stat.S_IFCHR else os.makedev(7, 0))
    except PermissionError:
        pytest.skip("this sandbox may not create device files (mknod needs CAP_MKNOD)")


def _loop(path: Path) -> None:
    other = path.with_name("other.json.link")
    path.symlink_to(other.name)
    other.symlink_to(path.name)


def _huge(path: Path) -> None:
    with open(path, "wb") as handle:  # sparse: the size is what counts
        handle.truncate(65 * 2**20)


def _unreadable(path: Path) -> None:
    path.write_text("{}", encoding="utf-8")
    path.chmod(0)
    try:
        path.read_bytes()
    except PermissionError:
        return
    path.chmod(0o644)
    pytest.skip("running as root, which reads a file whatever its permissions: 'no permission' cannot be "
                "made here (files.explain covers EACCES with advice)")


def _deep(n: int) -> str:
    return "[" * n + "]" * n


# case -> (make the bad input in the tree, returning the path the error must name; words it must say)
RUNS_CASES = {
    "record is a named pipe": (lambda t: _in_place_of_record(t, os.mkfifo), "found a named pipe (FIFO)"),
    "record is a folder": (lambda t: _in_place_of_record(t, Path.mkdir), "found a folder"),
    "record is a socket": (lambda t: _in_place_of_record(t, _socket), "found a socket"),
    "record is a character device": (lambda t: _in_place_of_record(t, lambda p: _device(p, stat.S_IFCHR)),
                                     "found a character device"),
    "record is a block device": (lambda t: _in_place_of_record(t, lambda p: _device(p, stat.S_IFBLK)),
                                 "found a block device"),
    "record links to /dev/zero": (lambda t: _in_place_of_record(t, lambda p: p.symlink_to("/dev/zero")),
                                  "found a character device"),
    "record is a broken link": (lambda t: _in_place_of_record(t, lambda p: p.symlink_to("nowhere.json")),
                                "symbolic link to nothing"),
    "record is a loop of links": (lambda t: _in_place_of_record(t, _loop), "Too many levels of symbolic links"),
    "record is 65 MiB": (lambda t: _in_place_of_record(t, _huge), "at most 64 MiB"),
    "record has no permission": (lambda t: _in_place_of_record(t, _unreadable), "Permission denied"),
    "record is empty": (lambda t: _replace_record(t, b""), "valid JSON"),
    "record is not UTF-8": (lambda t: _replace_record(t, b"\xff\xfe{}"), "UTF-8"),
    "record starts with a byte-order mark": (lambda t: _replace_record(t, "\ufeff" + _record_text(t)), "without BOM"),
    "record is a JSON array": (lambda t: _replace_record(t, "[]"), "a JSON object"),
    "record holds NaN": (lambda t: _with_value(t, "timed_epoch_s", "NaN"), "NaN is not one"),
    "record holds Infinity": (lambda t: _with_value(t, "timed_epoch_s", "Infinity"), "Infinity is not one"),
    "record holds -Infinity": (lambda t: _with_value(t, "timed_epoch_s", "-Infinity"), "-Infinity is not one"),
    "record holds 1e999": (lambda t: _with_value(t, "timed_epoch_s", "1e999"), "1e999 is out of range"),
    "record holds a 5000-digit number": (lambda t: _with_value(t, "seed", "1" * 5000), "at most 30 digits"),
    "record holds a repeated key": (lambda t: _with_value(t, "seed", '1729, "seed": 42'), "'seed' appears more"),
    "record nests 100,000 deep": (lambda t: _with_value(t, "timed_epoch_s", _deep(100_000)), "nested too deep"),
    "record nests 40 deep": (lambda t: _with_value(t, "timed_epoch_s", _deep(40)), "nested at most 32 deep"),
    "record holds a lone surrogate": (lambda t: _with_value(t, "code_version", '"\\udc00"'), "lone surrogate"),
    "record's accuracy is 5.0": (lambda t: _with_value(t, "test_accuracy", "5.0"), "a fraction from 0 to 1"),
    "investigation folder is a file": (lambda t: _replace_folder(t / "runs" / INVESTIGATION), "found a file"),
    "runs folder is a file": (lambda t: _replace_folder(t / "runs"), "found a file"),
    "runs folder is a broken link": (lambda t: _replace_folder(t / "runs", link=True), "symbolic link to nothing"),
    "runs path goes through a file": (lambda t: _through_file(t, "runs"), "Not a directory"),
    "benchmarks folder is a file": (lambda t: _replace_folder(t / "runs" / "benchmarks"), "found a file"),
    "benchmark file is a named pipe": (lambda t: _pipe(next((t / "runs" / "benchmarks").glob("*.json"))),
                                       "found a named pipe (FIFO)"),
}


def _replace_folder(path: Path, link: bool = False) -> Path:
    shutil.rmtree(path)
    if link:
        path.symlink_to("nowhere")
    else:
        path.write_text("not a folder", encoding="utf-8")
    return path


def _through_file(tree: Path, name: str) -> Path:
    shutil.rmtree(tree / name)
    (tree / name).write_text("a file", encoding="utf-8")
    return tree / name / "inside"


def _pipe(path: Path) -> Path:
    path.unlink()
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("case", sorted(RUNS_CASES))
def test_a_bad_file_in_runs_is_one_line_naming_it(tree, capsys, no_hang, case):
    make, expected = RUNS_CASES[case]
    path = make(tree)
    runs = path if case == "runs path goes through a file" else None
    line = build(tree, capsys, runs=runs)
    assert str(path) in line and expected in line, line


def _page(tree: Path, name: str = f"{INVESTIGATION}.md") -> Path:
    path = tree / "src" / name
    if path.exists():
        path.unlink()
    return path


SRC_CASES = {
    "page is a named pipe": (lambda t: _made(_page(t), os.mkfifo), "found a named pipe (FIFO)"),
    "page is a folder": (lambda t: _made(_page(t), Path.mkdir), "found a folder"),
    "page links to /dev/zero": (lambda t: _made(_page(t), lambda p: p.symlink_to("/dev/zero")),
                                "found a character device"),
    "page is a broken link": (lambda t: _made(_page(t), lambda p: p.symlink_to("gone.md")), "symbolic link"),
    "page is not UTF-8": (lambda t: _made(_page(t), lambda p: p.write_bytes(b"---\ntitle: \xff\n---\n")), "UTF-8"),
    "front matter nests 100,000 deep": (lambda t: _made(_page(t), lambda p: p.write_text(
        "---\ntitle: " + _deep(100_000) + "\n---\n", encoding="utf-8")), "nested too deep"),
    "Index.md beside index.md": (lambda t: _made(_page(t, "Index.md"), lambda p: p.write_text(INDEX)),
                                 "case-insensitive file system"),
    "a page named ..md": (lambda t: _made(_page(t, "..md"), lambda p: p.write_text(INDEX)), "rename the file"),
    "a page named -x.md": (lambda t: _made(_page(t, "-x.md"), lambda p: p.write_text(INDEX)), "rename the file"),
    "pages folder is a file": (lambda t: _replace_folder(t / "src"), "found a file"),
    "models file is a folder": (None, "found a folder"),
}


def _made(path: Path, make) -> Path:
    make(path)
    return path


@pytest.mark.parametrize("case", sorted(SRC_CASES))
def test_a_bad_file_in_site_src_is_one_line_naming_it(tree, capsys, no_hang, case):
    make, expected = SRC_CASES[case]
    if make is None:  # --models pointing at a folder; the models page asks for it
        (tree / "src" / "models.md").write_text(
            "---\ntitle: Models\nsummary: Source.\norder: 5\n---\n\n{{ model: SimpleNet2 }}\n", encoding="utf-8")
        path = tree / "models"
        path.mkdir()
        line = build(tree, capsys, models=path)
    else:
        path = make(tree)
        line = build(tree, capsys)
    # a clash of names is reported at whichever of the two comes second; it names both
    assert (str(path) in line or f"{path.parent}{os.sep}" in line and path.name in line) and expected in line, line


# --- file-system errors: small tmpfs mounts ---------------------------------------------------------


@contextlib.contextmanager
def mounted(folder: Path, options: str):
    """A tmpfs at ``folder`` with ``options`` (``size=100k``, ``ro``); skips where mounting is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}): needs root "
                    "and CAP_SYS_ADMIN")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_building_into_a_read_only_folder_is_one_line(tree, capsys):
    with mounted(tree / "ro", "ro,size=1m") as folder:
        line = build(tree, capsys, out=folder / "site")
    assert f"{folder}" in line and "Read-only file system (the file system is read-only" in line, line


def test_building_onto_a_full_disk_is_one_line_and_leaves_nothing_behind(tree, capsys):
    with mounted(tree / "full", "size=64k") as folder:
        line = build(tree, capsys, out=folder / "site")
        assert str(folder) in line and "No space left on device (the disk is full; free some space" in line, line
        assert os.listdir(folder) == [], "the staging folder is removed"


def _train(data_dir, runs: Path, capsys) -> str:
    from battleground.train.cli import main

    argv = ["run", INVESTIGATION, "--smoke", "--variant", SIMPLE, "--epochs", "1", "--device", "cpu",
            "--data-dir", str(data_dir), "--runs-dir", str(runs)]
    capsys.readouterr()
    status = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("battleground: error: ")]
    assert status == 1 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_training_into_a_read_only_runs_folder_is_one_line(data_dir, tmp_path, capsys):
    with mounted(tmp_path / "ro", "ro,size=1m") as folder:
        line = _train(data_dir, folder / "runs", capsys)
    assert str(folder / "runs") in line and "Read-only file system" in line and "--runs-dir" in line, line


def test_training_into_a_full_runs_folder_is_one_line_and_leaves_no_temp_file(data_dir, tmp_path, capsys):
    # 100 KB: room for the lock, not for a SimpleNet2 checkpoint (about 320 KB)
    with mounted(tmp_path / "full", "size=100k") as folder:
        for _ in range(2):  # each retry used to add another temp file the size of the free space
            line = _train(data_dir, folder, capsys)
            assert f"{folder}{os.sep}{INVESTIGATION}{os.sep}" in line, line  # the file being written
            assert "No space left on device (the disk is full; free some space" in line, line
            assert "resumes from its last checkpoint" in line
            left = [p.name for p in folder.rglob("*") if p.is_file() and p.parent.name != "splits"]  # the split is whole
            assert left == [], left
