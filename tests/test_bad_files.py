"""The catalogue of inputs that are not what they claim, and of file-system errors.

Anything in ``runs/`` or ``site_src/`` may be any kind of file a file system holds (a folder, a
named pipe, a socket, a device, a broken or looping link, a huge file) and any text Python's
JSON reader accepts but the format does not. Each case builds with ``build.py`` and must end
with exit status 1 and one ``error:`` line that names the file and says what was expected, never
a traceback and never a hang, leaving ``runs/`` and the site as they were. The trainer gets the
same treatment for a runs folder that is read-only or full (small tmpfs mounts; skipped, with the
reason, where the sandbox refuses them).

The second half runs ``build.py`` and ``battleground`` as their own processes on hostile and
careless input: record fields that hold control characters or name nothing of the catalogue,
damaged split files, a broken experiment module, front matter that YAML accepts but a page should
not; each is checked for its exit status, at most three lines, no traceback, nothing changed, no
process left behind and an end within a stated time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from battleground.core.values import printable
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
    watched = [runs or tree / "runs", out or tree / "site"]
    before = [snapshot(path) for path in watched]
    capsys.readouterr()
    status = builder.main(argv)
    err = capsys.readouterr().err
    assert status == 1, err
    assert "Traceback" not in err and len(err.splitlines()) <= 3, err
    assert [snapshot(path) for path in watched] == before, "the build changed runs/ or the site"
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


# --- the whole program, as a user runs it: hostile records, split files, pages and modules -------
# Records travel (a cluster's, a collaborator's runs/): every field is untrusted. Pages and
# experiment modules are the site's own code and prose, trusted, but a careless edit to one must
# still end in one line. Each case runs build.py or `battleground` as its own process, as a user
# does, and checks what the user sees and what is left behind: the exit status, at most three
# lines on stderr and none of them a traceback or a raw control character, runs/ and the previous
# site byte for byte as they were, no process of the case still running, and an end within
# CASE_SECONDS (a build of the small tree takes a few seconds; training starts torch and reads MNIST).

CASE_SECONDS = 120
ROOT = Path(__file__).resolve().parent.parent
SPLIT = "mnist-seed1729-val8000-test2000.json"  # the committed split the fixture runs predict on
COMPARED = ("ReLU", "tanh")
COMPARING_PAGE = PAGE.replace("---\n\nProse.\n", "comparisons:\n  - id: vs-relu\n    baseline: "
                              f"\"{SIMPLE}\"\n    family: SimpleNet2\n---\n\nProse.\n\n{{{{ compare: vs-relu }}}}\n")


def snapshot(folder: Path) -> dict[str, object] | None:
    """Every entry under ``folder`` by relative path: a regular file's hash, anything else its
    kind (never opened: a named pipe would block); None where ``folder`` is not there."""
    if not os.path.lexists(folder):
        return None
    found: dict[str, object] = {}
    for path in [folder, *sorted(folder.rglob("*"))] if folder.is_dir() else [folder]:
        mode = os.lstat(path).st_mode
        key = str(path.relative_to(folder))
        if stat.S_ISREG(mode):
            try:
                found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            except PermissionError:
                found[key] = ("unreadable", mode)
        elif stat.S_ISLNK(mode):
            found[key] = ("link", os.readlink(path))
        else:
            found[key] = ("kind", stat.S_IFMT(mode))
    return found


def run_case(argv: list[str], watched: list[Path], env: dict | None = None, status: int = 1) -> str:
    """Run ``argv`` from the repository root as its own process group and check the case's
    promises (see above); returns its stderr."""
    before = {path: snapshot(path) for path in watched}
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=CASE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{argv[:3]} ran past {CASE_SECONDS} s")
    took = time.monotonic() - started
    try:  # anything of its process group still running was left behind
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        pass
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"{argv[:3]} left processes running")
    text = err.decode("utf-8", "replace")
    assert process.returncode == status, (process.returncode, text, out.decode("utf-8", "replace")[-2000:])
    assert "Traceback" not in text, text
    assert len(text.splitlines()) <= 3, text
    unprintable = [c for c in (err + out).decode("utf-8", "replace") if not (c.isprintable() or c == "\n")]
    assert not unprintable, f"a control character reached the terminal: {unprintable!r}"
    assert took < CASE_SECONDS
    for path in watched:
        assert snapshot(path) == before[path], f"{path} changed"
    return text


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A tree whose runs predict on the committed split, a page comparing them (McNemar reads
    the split file), and the site built from it: each case starts from a copy."""
    root = tmp_path_factory.mktemp("built")
    from battleground.core import records, splits
    from battleground.core.spec import variant
    from tests.site_fixtures import make_record

    labels = splits.read(ROOT / "runs" / "splits" / SPLIT)
    (root / "runs" / "splits").mkdir(parents=True)
    shutil.copyfile(ROOT / "runs" / "splits" / SPLIT, root / "runs" / "splits" / SPLIT)
    for activation in COMPARED:
        v = variant("SimpleNet2", depth=0, activation=activation)
        records.write_record(records.record_path(root / "runs", INVESTIGATION, v.name, 1729),
                             make_record(INVESTIGATION, v, 1729, epochs=5, labels=labels))
    (root / "src").mkdir()
    (root / "src" / "index.md").write_text(INDEX, encoding="utf-8")
    (root / "src" / f"{INVESTIGATION}.md").write_text(COMPARING_PAGE, encoding="utf-8")
    status = builder.main(_build_argv(root))
    assert status == 0 and (root / "site" / f"{INVESTIGATION}.html").is_file()
    assert "McNemar" in (root / "site" / f"{INVESTIGATION}.html").read_text(encoding="utf-8")
    return root


def _build_argv(tree: Path) -> list[str]:
    return ["--src", str(tree / "src"), "--runs", str(tree / "runs"), "--models", str(sample.MODELS),
            "--out", str(tree / "site")]


@pytest.fixture
def case_tree(built, tmp_path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(built, tree, symlinks=True)
    return tree


def build_case(tree: Path, env: dict | None = None) -> str:
    """build.py on ``tree`` as a user runs it: must fail in one error line, leaving runs/ and the site."""
    err = run_case([sys.executable, "build.py", *_build_argv(tree)], [tree / "runs", tree / "site"], env)
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    return errors[0]


def _relu_record(tree: Path) -> Path:
    return tree / "runs" / INVESTIGATION / RECORD


def _set(tree: Path, dotted: str, value, path: Path | None = None) -> Path:
    """The ReLU record with the field ``dotted`` set to ``value`` (written as JSON, unchecked)."""
    path = path or _relu_record(tree)
    record = json.loads(path.read_text(encoding="utf-8"))
    *parents, last = dotted.split(".")
    holder = record
    for part in parents:
        holder = holder[part]
    holder[last] = value
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _split(tree: Path) -> Path:
    return tree / "runs" / "splits" / SPLIT


def _shorter_split(tree: Path) -> Path:
    from battleground.core import splits

    kept = splits.read(_split(tree))
    _split(tree).unlink()
    return splits.write(_split(tree), kept["val"], kept["test"][:100], kept["val_labels"], kept["test_labels"][:100])


def _bad_name_file(tree: Path) -> Path:
    path = tree / "runs" / INVESTIGATION / "\x1b[2J\x1b]0;owned\x07.json"
    path.write_text("{}", encoding="utf-8")
    return path


def _benchmark_device(tree: Path, device: str) -> Path:
    source = next((sample.RUNS / "benchmarks").glob("*.json"))
    path = tree / "runs" / "benchmarks" / source.name
    path.parent.mkdir(exist_ok=True)
    shutil.copyfile(source, path)
    return _set(tree, "device", device, path)


# case -> (make it in the tree, returning the file the error names; the field; words the line says)
HOSTILE_BUILD_CASES = {
    "a benchmark file's device holds a terminal escape": (
        lambda t: _benchmark_device(t, "GPU\x1b[8m hidden"), "device", "printable text"),
    "variant holds a line break and a command": (
        lambda t: _set(t, "variant", "\ntouch INJECTED\n#"), "variant", "printable text"),
    "device holds a terminal escape": (
        lambda t: _set(t, "environment.device", "\x1b]0;owned\x07GPU"), "environment.device", "printable text"),
    "a further field holds a bidirectional override": (
        lambda t: _set(t, "environment.platform", "Linux\u202egnp.exe"), "environment.platform", "printable text"),
    "a parameter value is markup": (
        lambda t: _set(t, "model.params.activation", "<script>"), "model.params.activation", "one of none, ReLU"),
    "config.dataset climbs out of runs/": (
        lambda t: _set(t, "config.dataset", "../../../../etc/passwd"), "config.dataset", "one of mnist"),
    "config.problem is bogus": (lambda t: _set(t, "config.problem", "bogus"), "config.problem", "one of classify"),
    "config.epochs is abc": (lambda t: _set(t, "config.epochs", "abc"), "config.epochs", "a positive whole number"),
    "config.optimizer is unknown": (lambda t: _set(t, "config.optimizer", "Adagrad"), "config.optimizer", "one of SGD"),
    "config names an unknown setting": (lambda t: _set(t, "config.shell", "rm -rf /"), "config.shell",
                                        "one of the training settings"),
    "config settings disagree": (lambda t: _set(t, "config.step_size", 5), "config",
                                 "step_size is a setting of schedule StepLR"),
    "model.family is unknown": (lambda t: _set(t, "model.family", "Evil"), "model.family", "one of the catalogue"),
    "a record's file name holds terminal escapes": (_bad_name_file, "schema", "\\x1b[2J"),
    "split file is empty": (lambda t: _made(_split(t), lambda p: p.write_bytes(b"")), "(file)", "delete it"),
    "split file is shorter than its name says": (_shorter_split, "test", "2000 test images"),
    "split file is a folder": (lambda t: _made(_split(t), lambda p: (p.unlink(), p.mkdir())), "(file)",
                               "found a folder"),
    "split file is a named pipe": (lambda t: _made(_split(t), lambda p: (p.unlink(), os.mkfifo(p))), "(file)",
                                   "found a named pipe"),
    "splits folder is a file": (lambda t: _replace_folder(t / "runs" / "splits"), "(folder)", "found a file"),
    "front matter repeats a key": (lambda t: _made(t / "src" / f"{INVESTIGATION}.md", lambda p: p.write_text(
        COMPARING_PAGE.replace("order: 1\n", "order: 1\norder: 2\n"), encoding="utf-8")), "(front matter)",
        "written twice"),
    "front matter uses an alias": (lambda t: _made(t / "src" / f"{INVESTIGATION}.md", lambda p: p.write_text(
        COMPARING_PAGE.replace("summary: A test page.", "summary: &s A test page.\nheadline: *s"),
        encoding="utf-8")), "(front matter)", "aliases"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_BUILD_CASES))
def test_a_hostile_or_careless_input_fails_the_build_in_one_line_and_changes_nothing(case_tree, case):
    make, field, expected = HOSTILE_BUILD_CASES[case]
    path = make(case_tree)
    line = build_case(case_tree)
    assert f"field '{field}'" in line and expected in line, line
    assert printable(str(path)) in line, line
    assert not (ROOT / "INJECTED").exists()


def test_a_syntax_error_in_an_experiment_module_fails_the_build_in_one_line(case_tree):
    modules = case_tree / "modules"
    modules.mkdir()
    (modules / "broken_module.py").write_text("INVESTIGATION = (\n", encoding="utf-8")
    line = build_case(case_tree, env={"BATTLEGROUND_EXPERIMENTS": str(modules)})
    assert str(modules / "broken_module.py") in line and "line 1" in line, line


def test_a_page_saved_with_windows_line_endings_and_a_byte_order_mark_builds(case_tree):
    page = case_tree / "src" / f"{INVESTIGATION}.md"
    page.write_bytes(("\ufeff" + COMPARING_PAGE).replace("\n", "\r\n").encode("utf-8"))
    assert builder.main(_build_argv(case_tree)) == 0
    assert "McNemar" in (case_tree / "site" / f"{INVESTIGATION}.html").read_text(encoding="utf-8")


def battleground_case(runs: Path, *argv: str, status: int = 1) -> str:
    """``battleground ARGV --runs-dir RUNS`` as a user runs it: one error line, runs/ unchanged."""
    err = run_case([sys.executable, "-m", "battleground", *argv, "--runs-dir", str(runs)], [runs], status=status)
    errors = [line for line in err.splitlines() if line.startswith("battleground: error: ")]
    assert len(errors) == 1, err
    return errors[0]


def _train_smoke(runs: Path, data_dir: Path, variant: str = SIMPLE) -> str:
    return battleground_case(runs, "run", INVESTIGATION, "--smoke", "--variant", variant, "--epochs", "1",
                             "--device", "cpu", "--data-dir", str(data_dir))


# case -> (make it in the case's runs/, returning the file the error names; words the line says)
RUN_CASES = {
    "split file is empty": (lambda t: _made(_split(t), lambda p: p.write_bytes(b"")), "delete it"),
    "split file is shorter than its name says": (_shorter_split, "field 'test': expected 2000 image indices"),
}


@pytest.mark.slow  # starts battleground run in a subprocess
@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_a_damaged_split_file_stops_training_in_one_line_before_anything_is_written(case_tree, data_dir, case):
    make, expected = RUN_CASES[case]
    path = make(case_tree)
    line = _train_smoke(case_tree / "runs", data_dir, "SimpleNet2[activation=none,depth=0]")  # not yet run
    assert str(path) in line and expected in line, line


@pytest.mark.slow  # starts battleground run in a subprocess
def test_training_over_a_record_that_names_no_problem_of_the_catalogue_is_refused_in_one_line(case_tree, data_dir):
    path = _set(case_tree, "config.problem", "bogus")
    line = _train_smoke(case_tree / "runs", data_dir)
    assert str(path) in line and "field 'config.problem'" in line and "--force" in line, line


def test_listing_runs_never_sends_a_records_escape_sequence_to_the_terminal(case_tree):
    path = _set(case_tree, "variant", "\x1b]0;owned\x07\x1b[2J" + SIMPLE)
    line = battleground_case(case_tree / "runs", "list", INVESTIGATION)
    assert str(path) in line and "field 'variant'" in line and "printable text" in line, line


def test_listing_runs_where_the_investigations_folder_is_a_file_is_one_line(case_tree):
    path = _replace_folder(case_tree / "runs" / INVESTIGATION)
    line = battleground_case(case_tree / "runs", "list", INVESTIGATION)
    assert str(path) in line and "found a file" in line, line
