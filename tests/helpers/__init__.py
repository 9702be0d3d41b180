"""What many tests share: where the repository and the real data are, how to run the pipeline's
commands, and a dataset index for the commands that read one. Layout builders: helpers.layouts;
small videos: helpers.clips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("VIDCORR_SHARED_DATA", REPO.parent / "shared" / "data"))
BIN = Path(sys.executable).parent


def shared(*parts: str) -> Path:
    """A path under the shared real data; skips the test where that folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not found at {path} (set VIDCORR_SHARED_DATA to the shared data folder)")
    return path


def run(cmd: list[str], cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command with this interpreter's bin folder first on PATH (where `vidcorr` lives)."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def index(out: Path, kind: str, root: Path, **options) -> str:
    """Write the dataset index `vidcorr index` would (the handle propagate and evaluate read)."""
    from vidcorr.datasets.index import write_index

    write_index(kind, root, options, out)
    return str(out)
