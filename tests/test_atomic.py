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
