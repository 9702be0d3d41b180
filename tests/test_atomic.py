"""Write-then-rename outputs: a writer killed with SIGKILL leaves a temporary that the next write removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from vidcorr.atomic import atomic_dir, atomic_file

HOLD = """
import sys, time
from vidcorr.atomic import {kind}
with {kind}(sys.argv[1]) as tmp:
    {write}
    print("writing", flush=True)
    time.sleep(60)
"""


def _killed_writer(target, kind):
    write = "tmp.write_text('half')" if kind == "atomic_file" else "(tmp / 'part').write_text('half')"
    proc = subprocess.Popen([sys.executable, "-c", HOLD.format(kind=kind, write=write), str(target)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    for kind, writer in (("atomic_file", atomic_file), ("atomic_dir", atomic_dir)):
        target = tmp_path / f"{kind}.h5"
        _killed_writer(target, kind)
        leftovers = [p.name for p in tmp_path.glob(f".{target.name}.tmp-*")]
        assert len(leftovers) == 1 and not target.exists()  # nothing that looks finished
        with writer(target) as tmp:
            (tmp.write_text("whole") if kind == "atomic_file" else (tmp / "part").write_text("whole"))
        assert [p.name for p in tmp_path.glob(f".{target.name}.tmp-*")] == []
        assert target.exists()


def test_a_live_writers_temporary_is_left_alone(tmp_path):
    target = tmp_path / "x.h5"
    with atomic_file(target) as mine:  # this process is alive: another writer must not take its file
        with atomic_file(tmp_path / "y.h5"):
            pass
        with atomic_file(target) as second:
            second.write_text("b")
        assert mine.exists()
        mine.write_text("a")
    assert target.read_text() == "a"


RACE = """
import sys
from pathlib import Path
from vidcorr.atomic import atomic_dir, atomic_file
root, me, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(n):
    with atomic_file(root / "f.txt") as tmp:
        tmp.write_text(me * 1000)
    with atomic_dir(root / "d") as tmp:
        for k in range(5):
            (tmp / f"{k}.txt").write_text(me)
print("done", flush=True)
"""


def test_concurrent_writers_each_install_a_whole_output_and_leave_nothing_behind(tmp_path):
    """Two processes writing the same file and folder 40 times each: no write fails, the outputs
    are always one writer's whole output, and no temporary is left."""
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(tmp_path), me, "40"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for me in "ab"]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0 and out.strip() == "done", err
    assert (tmp_path / "f.txt").read_text() in ("a" * 1000, "b" * 1000)
    parts = {f.read_text() for f in (tmp_path / "d").iterdir()}
    assert len(list((tmp_path / "d").iterdir())) == 5 and parts in ({"a"}, {"b"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "f.txt"]


def test_a_target_of_the_wrong_kind_is_an_error_before_the_work(tmp_path):
    import pytest

    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    ran = []
    with pytest.raises(ValueError, match="file is a file, but a folder is to be written there"):
        with atomic_dir(tmp_path / "file"):
            ran.append(1)
    with pytest.raises(ValueError, match="folder is a folder, but a file is to be written there"):
        with atomic_file(tmp_path / "folder"):
            ran.append(1)
    assert ran == [] and sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]
