"""Compute and store one video's forward flow for every configured gap."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..provenance import record
from .config import FlowConfig
from .opencv_backend import OpenCVFlow
from .store import write_flow_file


def make_backend(cfg: FlowConfig, device: str = "auto"):
    """The flow method a config names (a ptlflow checkpoint is resolved here, before any work)."""
    if cfg.backend == "opencv":
        return OpenCVFlow(cfg.model, threads=cfg.threads)
    from .ptlflow_backend import PtlflowFlow

    return PtlflowFlow(cfg.model, cfg.checkpoint, cfg.allow_random_weights, cfg.batch_size, device)


def compute_size(frame_size: tuple[int, int], short_side: int | None) -> tuple[int, int]:
    """(width, height) the flow is computed at: the frames' size, or scaled to `short_side`."""
    w, h = frame_size
    if short_side is None or min(w, h) == short_side:
        return w, h
    s = short_side / min(w, h)
    return max(1, round(w * s)), max(1, round(h * s))


class _Frames:
    """Frames of one video as RGB uint8 at the compute size, decoded once and dropped when passed."""

    def __init__(self, paths: list[Path], short_side: int | None):
        self.paths, self.cache = paths, {}
        with Image.open(paths[0]) as im:
            self.native = im.size
        self.size = compute_size(self.native, short_side)

    def __getitem__(self, t: int) -> np.ndarray:
        if t not in self.cache:
            with Image.open(self.paths[t]) as im:
                if im.size != self.native:
                    raise ValueError(f"frame {self.paths[t]} is {im.size[0]}x{im.size[1]}, but the video's first "
                                     f"frame is {self.native[0]}x{self.native[1]}; re-extract the video's frames")
                im = im.convert("RGB")
                if im.size != self.size:
                    im = im.resize(self.size, Image.BILINEAR)
                self.cache[t] = np.asarray(im)
        return self.cache[t]

    def drop_before(self, t: int) -> None:
        for k in [k for k in self.cache if k < t]:
            del self.cache[k]


def compute_video_flow(name: str, frames: list[Path], cfg: FlowConfig, out: str | os.PathLike, backend=None,
                       progress: bool = True) -> Path:
    """Write `out` (HDF5) with the flow of every (t, t + gap) pair of the video's frames."""
    if len(frames) < 2:
        raise ValueError(f"video {name!r} has {len(frames)} frame(s); flow needs at least two")
    for p in frames:
        if not Path(p).is_file():
            raise FileNotFoundError(f"frame {p} of video {name!r} is missing; re-extract the video's frames")
    backend = backend or make_backend(cfg)
    video = _Frames([Path(p) for p in frames], cfg.short_side)
    w, h = video.size
    gaps = sorted(set(cfg.gaps))
    attrs = {
        "video": name, "backend": backend.backend, "model": backend.model,
        "checkpoint": backend.checkpoint, "checkpoint_sha256": backend.checkpoint_sha256,
        "frame_size": list(video.native), "resolution": [h, w],
        "settings": cfg.to_dict(),
        "provenance": record(config=cfg.to_dict(), inputs=[str(frames[0].parent)]),
    }
    T, step = len(frames), max(1, cfg.batch_size)
    total = sum(max(0, T - g) for g in gaps)
    with write_flow_file(out, num_frames=T, height=h, width=w, gaps=gaps, dtype=cfg.dtype,
                         steps_per_pixel=cfg.steps_per_pixel, compression=cfg.compression, attrs=attrs) as writer, \
            tqdm(total=total, desc=f"flow {name}", unit="pair", disable=not progress) as bar:
        for t0 in range(0, T, step):
            for g in gaps:
                ts = [t for t in range(t0, min(t0 + step, T)) if t + g < T]
                if not ts:
                    continue
                flows = backend([video[t] for t in ts], [video[t + g] for t in ts])
                for t, f in zip(ts, flows):
                    writer.write(g, t, f)
                bar.update(len(ts))
            video.drop_before(t0 + step)
    return Path(out)
