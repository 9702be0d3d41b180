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
