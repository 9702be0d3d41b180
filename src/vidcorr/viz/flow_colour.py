"""Flow pictures in the Middlebury colour wheel (hue = direction, saturation = magnitude)."""

from __future__ import annotations

import numpy as np
import torch
from torchvision.utils import flow_to_image

from .overlay import tile


def flow_colours(flows: list[np.ndarray]) -> list[np.ndarray]:
    """RGB uint8 pictures of (2, H, W) fields, all scaled by the largest vector among them."""
    batch = torch.from_numpy(np.stack(flows).astype(np.float32))
    return [img.permute(1, 2, 0).numpy() for img in flow_to_image(batch)]


def frames_and_flow(frames: list[np.ndarray], flows: list[np.ndarray]) -> np.ndarray:
    """Two rows: the frames, and under each one its flow to the next frame in colour."""
    return tile([list(frames), flow_colours(flows)])


def flow_picture(flow_index, reader, out, videos: int = 3, frames: int = 4) -> None:
    """Frames of the first `videos` videos and their gap-1 flow, one row each, as one PNG."""
    from PIL import Image

    from ..flow import FlowReader
    from .overlay import write_rows_png

    flows = FlowReader(flow_index)
    rows = []
    for video in flows.videos()[:videos]:
        paths = reader.sequence(video).frames
        ff = flows.file(video)
        h, w = ff.size
        n = ff.file["gap_1"].shape[0] if "gap_1" in ff.file else 0
        if n == 0:
            continue
        picks = np.linspace(0, n - 1, num=min(frames, n)).round().astype(int)
        imgs = [np.asarray(Image.open(paths[t]).convert("RGB").resize((w, h))) for t in picks]
        rows.append(frames_and_flow(imgs, [ff.field(int(t), 1) for t in picks]))
    write_rows_png(rows, out)
