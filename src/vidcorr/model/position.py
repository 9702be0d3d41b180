"""Position encodings added after the encoder's first conv-BN-ReLU (LIIR Table 5b), and the
position modulations applied on the inter-video path (Table 5c).

- none
- 2dspe: fixed 2D sinusoids (half the channels encode x, half y)
- 1dape: one learned full map (C x H x W)
- 2dape: separate learned x (C x 1 x W) and y (C x H x 1) embeddings, summed
Learned maps start from N(0, 0.02^2) or, as the LIIR port's `pos_embed1`, from zeros (init), and
are resized to resolutions not seen in training: bilinearly, or bicubically as the port's
`pos_embed1` is (a converted port checkpoint keeps that).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

KINDS = ("none", "2dspe", "1dape", "2dape")
INITS = ("normal", "zeros")
RESIZES = ("bilinear", "bicubic")
MODULATIONS = ("none", "shuffle", "shift")


def sinusoid_2d(channels: int, h: int, w: int, y_first: bool = False) -> torch.Tensor:
    """(C, H, W) sine/cosine encoding: the first C/2 channels encode x, the other C/2 y (or y
    first: the VEN's order, Eq. 9). The one 2-D sinusoid of the package."""
    if channels % 4:
        raise ValueError("a 2D sinusoidal encoding needs a channel count divisible by 4")
    half = channels // 2
    freqs = torch.exp(torch.arange(0, half, 2, dtype=torch.float32) * (-math.log(10000.0) / half))

    def axis(n):
        pos = torch.arange(n, dtype=torch.float32)[:, None] * freqs[None]
        return torch.cat([pos.sin(), pos.cos()], dim=1).t()  # (half, n)

    x, y = axis(w)[:, None, :].expand(half, h, w), axis(h)[:, :, None].expand(half, h, w)
    return torch.cat([y, x] if y_first else [x, y])


class PositionEncoding(nn.Module):
    def __init__(self, kind: str, channels: int, size: tuple[int, int], init: str = "normal",
                 resize: str = "bilinear"):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown position encoding {kind!r}; choose one of {KINDS}")
        if init not in INITS:
            raise ValueError(f"unknown position-encoding init {init!r}; choose one of {INITS}")
        if resize not in RESIZES:
            raise ValueError(f"unknown position-encoding resize {resize!r}; choose one of {RESIZES}")
        self.resize = resize
        self.kind, self.channels, self.size = kind, channels, tuple(size)
        h, w = self.size
        scale = 0.02 if init == "normal" else 0.0
        if kind == "1dape":
            self.full = nn.Parameter(torch.randn(1, channels, h, w) * scale)
        elif kind == "2dape":
            self.x = nn.Parameter(torch.randn(1, channels, 1, w) * scale)
            self.y = nn.Parameter(torch.randn(1, channels, h, 1) * scale)

    def forward(self, h: int, w: int, device: torch.device) -> torch.Tensor | None:
        """(1, C, h, w) encoding for a feature map of this size, or None for kind 'none'."""
        if self.kind == "none":
            return None
        if self.kind == "2dspe":
            return sinusoid_2d(self.channels, h, w)[None].to(device)
        if self.kind == "1dape":
            pe = self.full
        else:
            pe = self.x + self.y
        if pe.shape[-2:] != (h, w):
            pe = F.interpolate(pe.expand(1, self.channels, *self.size), size=(h, w), mode=self.resize, align_corners=False)
        return pe


def modulate(pe: torch.Tensor, mode: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """Circularly shift (by a random step along each axis) or shuffle a (1, C, H, W) encoding.

    The result is detached: the inter-video path must not train a learned encoding.
    """
    if mode not in MODULATIONS:
        raise ValueError(f"unknown position modulation {mode!r}; choose one of {MODULATIONS}")
    pe = pe.detach()
    if mode == "none":
        return pe
    _, c, h, w = pe.shape
    if mode == "shift":
        dy = int(torch.randint(h, (1,), generator=generator))
        dx = int(torch.randint(w, (1,), generator=generator))
        return torch.roll(pe, shifts=(dy, dx), dims=(2, 3))
    perm = torch.randperm(h * w, generator=generator)
    return pe.reshape(1, c, h * w)[:, :, perm].reshape(1, c, h, w)
