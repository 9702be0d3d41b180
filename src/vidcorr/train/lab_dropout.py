"""Information bottleneck, as MAST and the LIIR port have it: each step zeroes one chroma channel
(a or b, never L; the same one for the whole batch) of the encoder's input and scales what is
kept by 3/2, so the input's magnitude does not depend on the drop; that channel, taken from the
undropped frames, is what is reconstructed.

`drop: lab` is this pipeline's first bottleneck, kept for ablation: any of L, a, b per sample,
nothing rescaled."""

from __future__ import annotations

import torch

KEEP_SCALE = 3 / 2  # three channels' worth of input from the two kept


def drop_channel(lab: torch.Tensor, channel: torch.Tensor, keep_scale: float = KEEP_SCALE) -> torch.Tensor:
    """Copy of (N, 3, H, W) Lab images with channel[n] zeroed in sample n, the rest scaled by keep_scale."""
    keep = torch.full_like(lab[:, :, :1, :1], keep_scale)
    keep[torch.arange(lab.shape[0]), channel] = 0
    return lab * keep


def pick_channels(n: int, generator: torch.Generator, drop: str = "ab") -> torch.Tensor:
    """ab: one chroma channel (1 = a, 2 = b) drawn per step, repeated for the n samples;
    lab: one of 0 = L, 1 = a, 2 = b per sample."""
    if drop == "lab":
        return torch.randint(0, 3, (n,), generator=generator)
    return torch.randint(1, 3, (1,), generator=generator).expand(n).clone()
