"""Provenance records attached to every artefact: what made it, from what, with which settings."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from . import __version__


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def config_hash(cfg) -> str:
    """Stable short hash of a JSON-serialisable config (key order does not matter)."""
    blob = json.dumps(cfg, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the source tree when there is one."""
    src = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=src, capture_output=True, text=True, timeout=10, check=True,
        )
        return f"{__version__}+g{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def record(*, config=None, seed=None, inputs=None, **extra) -> dict:
    """A provenance dict: code version, time, config hash, seed, inputs and any extra fields."""
    rec = {
        "code_version": code_version(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if config is not None:
        rec["config_hash"] = config_hash(config)
    if seed is not None:
        rec["seed"] = seed
    if inputs is not None:
        rec["inputs"] = inputs
    rec.update(extra)
    return rec
