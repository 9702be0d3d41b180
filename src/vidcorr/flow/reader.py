"""Training-side access to a dataset's flow: (video, frame, gap) -> field, resized and cropped like the frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..structured import load_json
from .store import FlowFile


def resize_flow(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resample a (2, H, W) field to (2, height, width) and rescale its vectors to the new pixel size."""
    h, w = flow.shape[1:]
    if (w, h) == (width, height):
        return flow
    # Antialiased bilinear, as PIL's BILINEAR resize does to the frames themselves.
    out = F.interpolate(torch.from_numpy(flow)[None], size=(height, width), mode="bilinear",
                        align_corners=False, antialias=True)[0].numpy()
    out[0] *= width / w
    out[1] *= height / h
    return out


def crop_flow(flow: np.ndarray, box: tuple[int, int, int, int], flip: bool) -> np.ndarray:
    """Crop (x0, y0, x1, y1) and optionally mirror left-right, which negates the horizontal component."""
    x0, y0, x1, y1 = box
    out = flow[:, y0:y1, x0:x1]
    if flip:
        out = out[:, :, ::-1].copy()
        out[0] *= -1
    return np.ascontiguousarray(out)


def write_flow_index(dataset: str, files: list[str | os.PathLike], out: str | os.PathLike) -> dict:
    """The merged flow index of a dataset: video -> its HDF5 file (relative to the index), the
    total size, the flow settings, provenance. FlowReader reads it."""
    from ..atomic import write_json
    from ..provenance import record

    out = Path(out).resolve()
    paths, total, settings = {}, 0, None
    for f in files:
        ff = FlowFile(f)
        attrs = ff.attrs
        paths[attrs["video"]] = str(Path(f).resolve().relative_to(out.parent))
        total += Path(f).stat().st_size
        settings = settings or attrs.get("settings")
        ff.close()
    index = {"dataset": dataset, "files": paths, "num_videos": len(paths), "bytes": total, "settings": settings,
             "provenance": record(config=settings, inputs=sorted(paths.values()))}
    write_json(out, index)
    return index


class FlowReader:
    """All flow files of one dataset, from the merged index `results/flow/<dataset>/index.json`."""

    def __init__(self, index: str | os.PathLike):
        self.index_path = Path(index)
        self.index = load_json(self.index_path, "flow index", "run the flow stage for the dataset")
        if not isinstance(self.index, dict) or not isinstance(self.index.get("files"), dict):
            raise ValueError(f"flow index {self.index_path} lists no 'files'; it is not a flow index: "
                             "run the flow stage for the dataset")
        self.files = {v: self.index_path.parent / p for v, p in self.index["files"].items()}
        self._open: dict[str, FlowFile] = {}

    def videos(self) -> list[str]:
        return sorted(self.files)

    def file(self, video: str) -> FlowFile:
        if video not in self.files:
            raise KeyError(f"no flow for video {video!r} in {self.index_path}")
        if video not in self._open:
            self._open[video] = FlowFile(self.files[video])
        return self._open[video]

    def field(self, video: str, t: int, gap: int = 1) -> np.ndarray:
        """(2, H, W) float32 flow from frame t to t + gap at the stored resolution."""
        return self.file(video).field(t, gap)

    def for_frames(self, video: str, t: int, gap: int, size: tuple[int, int],
                   box: tuple[int, int, int, int] | None = None, flip: bool = False) -> np.ndarray:
        """The field as seen by frames resized to `size` (width, height), then cropped to `box` and flipped."""
        f = resize_flow(self.field(video, t, gap), *size)
        return crop_flow(f, box or (0, 0, size[0], size[1]), flip)
