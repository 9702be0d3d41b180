"""Write-then-rename helpers, so an interrupted job never leaves an output that looks finished.

A writer killed outright (kill -9, a node lost) cannot clean up; its temporary sibling names its host
and process, and the next write of the same target on that host removes it once that process is gone.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _temporary_prefix(target: Path) -> str:
    """`.<name>.tmp-<host>-<pid>-`: names the writer, so a killed writer's leftovers can be told apart."""
    target.parent.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname().replace("-", "_")
    for old in target.parent.glob(f".{glob.escape(target.name)}.tmp-{glob.escape(host)}-*-*"):
        pid = old.name[len(f".{target.name}.tmp-{host}-"):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):  # its writer was killed: nothing will rename it
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    return f".{target.name}.tmp-{host}-{os.getpid()}-"


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling folder; it replaces `target` only if the block succeeds."""
    target = Path(target)
    tmp = Path(tempfile.mkdtemp(prefix=_temporary_prefix(target), dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling path; it is renamed onto `target` only if the block succeeds."""
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=_temporary_prefix(target), dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode a plain open() would
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)


def write_json(path: str | os.PathLike, obj) -> None:
    """Atomically write `obj` as indented JSON."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write a text file."""
    with atomic_file(path) as tmp:
        tmp.write_text(text)
