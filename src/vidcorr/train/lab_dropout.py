"""Information bottleneck: zero one Lab channel per sample; that channel is what is reconstructed."""

from __future__ import annotations

import torch


def drop_channel(lab: torch.Tensor, channel: torch.Tensor) -> torch.Tensor:
    """Copy of (N, 3, H, W) Lab images with channel[n] zeroed in sample n."""
    keep = torch.ones_like(lab[:, :, :1, :1])
    keep[torch.arange(lab.shape[0]), channel] = 0
    return lab * keep


def pick_channels(n: int, generator: torch.Generator) -> torch.Tensor:
    """One channel (0 = L, 1 = a, 2 = b) per sample, uniformly."""
    return torch.randint(0, 3, (n,), generator=generator)
