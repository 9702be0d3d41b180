"""Write-then-rename helpers, so an interrupted job never leaves an output that looks finished.

A writer killed outright (kill -9, a node lost) cannot clean up; its temporary sibling names its host
and process, and the next write of the same target on that host removes it once that process is gone.
Writers running at once on one target each install a complete output; the last one wins, and
none fails or leaves a temporary behind. A target of the wrong kind (a file where a folder is to
go, or the reverse) is an error before any work.
"""

from __future__ import annotations

import contextlib
import errno
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


def _check_kind(target: Path, folder: bool) -> None:
    """A target of the wrong kind is an error before any work (the rename would fail after it)."""
    if target.exists() and target.is_dir() != folder:
        have, want = ("a folder", "a file") if target.is_dir() else ("a file", "a folder")
        raise ValueError(f"{target} is {have}, but {want} is to be written there: remove it or choose another path")


def _install_dir(tmp: Path, target: Path, prefix: str) -> None:
    """Rename `tmp` onto `target`. An existing target (a finished output, or another writer's, installed
    meanwhile) is first renamed aside, then removed: each rename is atomic, so a reader sees the old
    output or the new one, never a mix."""
    aside = []
    try:
        while True:
            try:
                os.rename(tmp, target)
                return
            except OSError as e:
                if e.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
            old = Path(tempfile.mkdtemp(prefix=prefix + "old-", dir=target.parent))
            try:
                os.rename(target, old / "x")
                aside.append(old)
            except FileNotFoundError:  # another writer moved it first
                shutil.rmtree(old, ignore_errors=True)
    finally:
        for old in aside:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling folder; it replaces `target` only if the block succeeds."""
    target = Path(target)
    _check_kind(target, folder=True)
    prefix = _temporary_prefix(target)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield tmp
        _install_dir(tmp, target, prefix)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling path; it is renamed onto `target` only if the block succeeds."""
    target = Path(target)
    _check_kind(target, folder=False)
    fd, name = tempfile.mkstemp(prefix=_temporary_prefix(target), dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode a plain open() would
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: str | os.PathLike, obj) -> None:
    """Atomically write `obj` as indented JSON."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write a text file."""
    with atomic_file(path) as tmp:
        tmp.write_text(text)
