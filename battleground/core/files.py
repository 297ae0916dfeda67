"""Reading input files that may not be what they claim, and saying what a file-system error means.

Anything in ``runs/`` or ``site_src/`` may be a folder, a named pipe, a socket, a device or a
broken link under a ``.json`` or ``.md`` name, and any read or write may fail (read-only, no
permission, not a folder, disk full). Each must end in one line that names the file and says
what to do, never a traceback, and never a hang: a named pipe with no writer blocks a plain
``open`` for ever, so the kind of file is checked before it is opened, and opened without
blocking.

Torch-free; the caller passes the error class to raise (a ``records.FieldError`` subclass), so
this module imports nothing of the project.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# An input larger than this is not one of ours: a 3,000-epoch run record is about 150 KB.
MAX_INPUT_BYTES = 64 * 1024 * 1024

_KINDS = (  # (test on st_mode, what to call it)
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)

# errno -> what it means for the file and what to do
_ADVICE = {
    errno.EROFS: "the file system is read-only; make it writable or use another folder",
    errno.ENOSPC: "the disk is full; free some space and run again",
    errno.EDQUOT: "the disk quota is used up; free some space and run again",
    errno.EACCES: "permission denied; give this user access to it or use another folder",
    errno.EPERM: "the operation is not permitted; give this user access to it or use another folder",
    errno.ENOTDIR: "a part of this path is a file, not a folder; move that file out of the way",
    errno.EISDIR: "it is a folder where a file was expected; move it out of the way",
    errno.ENOENT: "it does not exist (or a part of its path does not)",
    errno.ELOOP: "it is a loop of symbolic links; replace the link with the file",
    errno.ENAMETOOLONG: "the path is too long for the file system; use a shorter one",
    errno.EIO: "the disk reported an input/output error; check the disk",
    errno.EMFILE: "too many files are open; raise the limit (ulimit -n) and run again",
}


def kind(mode: int) -> str | None:
    """What a non-regular file is (``"a named pipe (FIFO)"``…); None for a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def explain(error: OSError, hint: str = "") -> str:
    """One line for a file-system error: the file, what went wrong and what to do, e.g.
    ``runs/x/a.json: Read-only file system (the file system is read-only; …)``."""
    where = error.filename if error.filename is not None else "(a file)"
    if getattr(error, "filename2", None):
        where = f"{where} -> {error.filename2}"
    return f"{where}: {reason(error, hint)}"


def reason(error: OSError, hint: str = "") -> str:
    """What went wrong and what to do, without the file: ``Read-only file system (…)``."""
    what = error.strerror or type(error).__name__
    advice = "; ".join(part for part in (_ADVICE.get(error.errno, ""), hint) if part)
    return what + (f" ({advice})" if advice else "")


def read_regular_bytes(path: Path | str, error: type, what: str, advice: str) -> bytes:
    """The bytes of ``path`` if it is a regular, readable file of at most :data:`MAX_INPUT_BYTES`;
    anything else is ``error(path, "(file)", …)`` (a ``records.FieldError`` subclass) that says
    what the path is and ``advice``. ``what`` names what the file should be ("a run record")."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # follows links: a link to a pipe is a pipe
    except OSError as problem:
        if os.path.islink(path):
            raise error(path, "(file)", f"{what}, found a symbolic link to nothing that can be read "
                        f"({problem.strerror}); {advice}") from None
        raise error(path, "(file)", f"{what} that can be read, but {reason(problem)}") from None
    found = kind(mode)
    if found is not None:
        raise error(path, "(file)", f"{what}, found {found}; {advice}")
    try:
        # O_NONBLOCK: should a pipe have taken the file's place since the stat, open does not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as problem:
        raise error(path, "(file)", f"{what} that can be read, but {reason(problem)}") from None
    try:
        status = os.fstat(fd)
        found = kind(status.st_mode)
        if found is not None:
            raise error(path, "(file)", f"{what}, found {found}; {advice}")
        if status.st_size > MAX_INPUT_BYTES:
            raise error(path, "(file)", f"{what} of at most {MAX_INPUT_BYTES // 2**20} MiB, found "
                        f"{status.st_size / 2**20:.0f} MiB; {advice}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as problem:
        raise error(path, "(file)", f"{what} that can be read, but {reason(problem)}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_INPUT_BYTES:
        raise error(path, "(file)", f"{what} of at most {MAX_INPUT_BYTES // 2**20} MiB; {advice}")
    return data


def folder_or_none(path: Path | str, error: type, what: str) -> Path | None:
    """``path`` if it is a folder, None if nothing is there; anything else (a file, a pipe, a
    broken link, a path through a file) is ``error(path, "(folder)", …)``."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise error(path, "(folder)", f"{what}, found a symbolic link to nothing; remove the link") from None
        return None
    except OSError as problem:
        raise error(path, "(folder)", f"{what}, but {reason(problem)}") from None
    if not stat.S_ISDIR(mode):
        raise error(path, "(folder)", f"{what}, found {kind(mode) or 'a file'}; move it out of the way")
    return path
