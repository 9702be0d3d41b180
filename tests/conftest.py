"""Shared fixtures: where the real data lives, and how to run the pipeline's commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A small generated benchmark shared by the tests that only read it."""
    from vidcorr.synthetic import generate_benchmark

    root = tmp_path_factory.mktemp("synthetic") / "bench"
    generate_benchmark(root, seed=3, num_sequences=2, num_frames=10, width=128, height=96, num_objects=3)
    return root
