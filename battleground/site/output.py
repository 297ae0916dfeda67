"""The output folder: which paths a build may replace, and how it replaces them without loss.

A build replaces its output folder whole, so a wrong ``--out`` could delete anything. Three rules
keep that from happening:

- The output must not be, contain or lie inside an input (pages, runs, templates, static files,
  front-end packages), and must not be or contain the repository root: ``--out .`` or
  ``--out runs`` is refused before anything is read.
- An existing output is replaced only if it is an empty folder or carries :data:`MARKER`, which
  every build writes at its root: a folder of anything else (a checkout, a home folder, a file) is
  refused with one line.
- The new site is written into a staging folder beside the output and swapped in atomically
  (Linux's ``renameat2(RENAME_EXCHANGE)``), so there is no moment at which the output is absent;
  where the file system cannot exchange, two renames do it. Staging and old folders left by a
  killed build carry the dead process's id and are removed by the next build.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
from pathlib import Path

MARKER = ".battleground-site"
MARKER_TEXT = "Built by MNIST Battleground (python build.py); the next build replaces this folder whole.\n"
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:building|old)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


class OutputError(ValueError):
    """An output path that a build must not write to; the message says why and what to do."""


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check(out: Path, inputs: dict[str, Path], repository: Path) -> None:
    """Refuse ``out`` (resolved) if replacing it could lose anything that is not a previous build."""
    repository = repository.resolve()
    if _is_within(repository, out):
        raise OutputError(f"--out {out}: the output is or contains the repository {repository}; "
                          "a build replaces its output whole, so choose a folder of its own (default: _site/)")
    for what, folder in inputs.items():
        folder = folder.resolve()
        if _is_within(out, folder) or _is_within(folder, out):
            relation = "is" if out == folder else ("lies inside" if _is_within(out, folder) else "contains")
            raise OutputError(f"--out {out}: the output {relation} the {what} folder {folder}; "
                              "a build replaces its output whole, so choose a folder of its own (default: _site/)")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"--out {out}: a file, not a folder; a build writes a folder there, so remove the "
                          "file or choose another --out")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise OutputError(f"--out {out}: a folder that no build wrote (it has no {MARKER} file) and is not empty; "
                          "a build replaces its output whole, so empty it or choose another --out")


def staging_prefix(out: Path, kind: str) -> str:
    """``.<out name>.<kind>-<pid>-``: the name of a staging (``building``) or ``old`` folder."""
    return f".{out.name}.{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the staging and old folders beside ``out`` that a killed build left; a running
    build's (its process alive) are left alone. Returns what was removed."""
    removed = []
    if not out.parent.is_dir():
        return removed
    for entry in out.parent.iterdir():
        match = _LEFTOVER.match(entry.name)
        if match and match["name"] == out.name and entry.is_dir() and not entry.is_symlink() \
                and not _alive(int(match["pid"])):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the platform or file system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_in(staging: Path, out: Path) -> None:
    """Put ``staging`` where ``out`` is; the previous site is removed only once the new one is in place."""
    os.chmod(staging, 0o755)
    if out.exists() and _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the previous site
        return
    old = None
    if out.exists():
        old = out.with_name(staging_prefix(out, "old") + "x")
        os.replace(out, old)
    os.replace(staging, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
