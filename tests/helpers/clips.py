"""Small synthetic video files for the decoding and workflow tests."""

from __future__ import annotations

import av
import numpy as np


def write_clip(path, n=30, faststart=False, codec="mpeg4"):
    """A clip of random frames (64 x 48) in the container of `path`'s suffix."""
    opts = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=opts) as out:
        s = out.add_stream(codec, rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        rng = np.random.default_rng(0)
        for i in range(n):
            img = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path
