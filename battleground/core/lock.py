"""One runner per run: a lock file beside the record while a process trains it.

``<record stem>.lock`` (gitignored) holds the owner's pid, host and start time as JSON. It is
created atomically and exclusively: the content is written to a private temporary file which is
then hard-linked to the lock's name, so the link fails if the lock exists, and a lock that exists
is always complete (a process killed mid-write leaves only its temporary file). A lock whose
owner is dead (same host, pid no longer alive) is taken over with a note; a lock from another
host cannot be checked, so it is refused with a message that says how to clear it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator


class LockHeld(Exception):
    """The run is being trained by another process; the message names it."""


def lock_path(record_path: Path | str) -> Path:
    """``runs/x/Net.seed1729.json`` -> ``runs/x/Net.seed1729.lock``."""
    return Path(record_path).with_suffix(".lock")


def _owner() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: checks the pid exists without touching the process
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has exited but not yet been reaped (a killed driver's worker, for the moment
    before init collects it): it holds nothing. Known only where ``/proc`` says so."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]  # the state follows the command's name


def _create(path: Path, owner: dict) -> bool:
    """Create the lock holding ``owner``; False if it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{owner['pid']}.tmp")
    try:
        tmp.write_text(json.dumps(owner) + "\n", encoding="utf-8")
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:  # also when the write fails (a full disk): no temp file stays behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _read(path: Path) -> dict | None:
    """The owner in the lock file, or None if it vanished (its owner just finished)."""
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError):
        raise LockHeld(f"{path}: the lock file is unreadable; if no run is in progress, delete it") from None
    if not (isinstance(owner, dict) and isinstance(owner.get("pid"), int) and isinstance(owner.get("host"), str)):
        raise LockHeld(f"{path}: expected a lock with pid and host, found {owner!r}; "
                       "if no run is in progress, delete it")
    return owner


def acquire(path: Path | str, log: Callable[[str], None] = print) -> dict:
    """Take the lock at ``path`` (taking over one left by a dead process); returns its owner
    record. Raises :class:`LockHeld` naming the process that holds it."""
    path, me = Path(path), _owner()
    while not _create(path, me):
        other = _read(path)
        if other is None:
            continue  # released between our two looks: try again
        described = f"pid {other['pid']} on {other['host']}, started {other.get('started', '?')}"
        if other["host"] != me["host"]:
            raise LockHeld(f"{path}: this run is locked by {described}; if that process is gone, delete the lock")
        if _alive(other["pid"]):
            raise LockHeld(f"{path}: this run is already being trained by {described}")
        # The owner died without releasing the lock (SIGKILL, power loss). Two processes racing
        # to take over could both get here; the window is a few system calls wide.
        log(f"note: taking over {path.name}, left by {described}, which is no longer running")
        path.unlink(missing_ok=True)
    return me


def release(path: Path | str, owner: dict) -> None:
    """Remove the lock at ``path`` if ``owner`` still holds it."""
    path = Path(path)
    try:
        if _read(path) == owner:
            path.unlink()
    except (LockHeld, FileNotFoundError):
        pass  # someone else's lock now, or already gone: not ours to remove


@contextmanager
def held(path: Path | str, log: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the lock at ``path`` for the duration of the ``with`` block."""
    owner = acquire(path, log)
    try:
        yield
    finally:
        release(path, owner)
