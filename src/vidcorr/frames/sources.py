"""The frames of one user video, for `vidcorr track`: a video file (anything the frames stage
decodes, display rotation honoured) or a folder of images in the order a person reads their names."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..datasets.base import natural_key
from .decode import decode_video, probe_video
from .listing import VIDEO_EXTENSIONS

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
DEFAULT_FPS = 24.0  # a folder of images has no frame rate: its overlay plays at this one unless given


@dataclass
class Frames:
    images: list[np.ndarray]  # RGB uint8 (H, W, 3), all the same size
    names: list[str]  # a stem per frame, for the output masks
    fps: float
    source: Path

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return self.images[0].shape[:2]


def read_frames(path: str | os.PathLike, fps: float | None = None) -> Frames:
    """All frames of a video file or an image folder, in memory (a 300-frame 1080p video takes 1.9 GB).
    `fps`: a folder's frame rate (a video file has its own)."""
    path = Path(path)
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS),
                       key=lambda p: natural_key(p.name))
        if not files:
            raise ValueError(f"{path}: no images ({', '.join(IMAGE_EXTENSIONS)}) in this folder")
        stems = [f.stem for f in files]
        twice = sorted({s for s in stems if stems.count(s) > 1})
        if twice:
            raise ValueError(f"{path}: frames {twice[:3]} have one name with two extensions; keep one of each")
        images = []
        for f in files:
            try:
                with Image.open(f) as im:
                    images.append(np.asarray(im.convert("RGB")))
            except OSError as e:
                raise ValueError(f"{f}: unreadable image ({e}); replace or remove it") from e
            if images[-1].shape != images[0].shape:
                h, w = images[-1].shape[:2]
                raise ValueError(f"{f} is {w}x{h} but {files[0].name} is {images[0].shape[1]}x{images[0].shape[0]}: "
                                 "every frame of a video must have one size")
        return Frames(images, [f.stem for f in files], fps or DEFAULT_FPS, path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: give a video file or a folder of frames")
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        raise ValueError(f"{path}: not a video ({', '.join(VIDEO_EXTENSIONS)}) nor a folder of frames")
    images = list(decode_video(path))
    rate = probe_video(path).fps
    return Frames(images, [f"{i:05d}" for i in range(len(images))], rate if rate == rate and rate > 0 else DEFAULT_FPS,
                  path)
