"""Middlebury .flo optical-flow files (float32, the format flow benchmarks exchange)."""

from __future__ import annotations

import os

import numpy as np

_MAGIC = 202021.25


def write_flo(path: str | os.PathLike, flow: np.ndarray) -> None:
    """Write an (H, W, 2) flow field (x then y displacement, pixels)."""
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"flow must be (H, W, 2), got {flow.shape}")
    h, w = flow.shape[:2]
    with open(path, "wb") as f:
        np.array([_MAGIC], np.float32).tofile(f)
        np.array([w, h], np.int32).tofile(f)
        flow.tofile(f)


def read_flo(path: str | os.PathLike) -> np.ndarray:
    """Read a .flo file into (H, W, 2) float32."""
    with open(path, "rb") as f:
        magic = np.fromfile(f, np.float32, 1)
        if magic.size != 1 or magic[0] != _MAGIC:
            raise ValueError(f"{path}: not a Middlebury .flo file (bad magic number)")
        w, h = (int(v) for v in np.fromfile(f, np.int32, 2))
        data = np.fromfile(f, np.float32, w * h * 2)
    if data.size != w * h * 2:
        raise ValueError(f"{path}: truncated .flo file ({data.size} of {w * h * 2} values)")
    return data.reshape(h, w, 2)
