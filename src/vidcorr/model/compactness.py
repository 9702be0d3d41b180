"""Spatial-compactness prior (LIIR Eq. 7-8): an affinity map approximated by a mixture of 2D
Gaussians centred on its top-k peaks and weighted by the peak values."""

from __future__ import annotations

import torch


def peak_mixture(affinity: torch.Tensor, grid: tuple[int, int], k: int, sigma: float) -> torch.Tensor:
    """Unnormalised mixture over the last axis of affinity (..., gh * gw), whose entries are a
    row-major grid of gh x gw positions one pixel apart -> (..., gh * gw).

    Each of the k largest entries contributes value * exp(-|p - peak|^2 / (2 sigma^2)). The
    Gaussian is a row factor times a column factor, so the mixture is one (gh x k) @ (k x gw)
    product per map, not k passes over every position's coordinates.
    """
    gh, gw = grid
    peaks, idx = affinity.topk(min(k, gh * gw), dim=-1)
    rows = torch.arange(gh, device=affinity.device, dtype=affinity.dtype)
    cols = torch.arange(gw, device=affinity.device, dtype=affinity.dtype)
    gy = torch.exp(-(rows - (idx // gw).to(affinity.dtype)[..., None]) ** 2 / (2 * sigma**2))  # (..., k, gh)
    gx = torch.exp(-(cols - (idx % gw).to(affinity.dtype)[..., None]) ** 2 / (2 * sigma**2))  # (..., k, gw)
    return torch.matmul((gy * peaks[..., None]).transpose(-1, -2), gx).flatten(-2)


def compactness_heatmap(affinity: torch.Tensor, grid: tuple[int, int], k: int, sigma: float,
                        valid: torch.Tensor | None = None) -> torch.Tensor:
    """The mixture normalised to sum to 1 over the last axis (over `valid` positions only)."""
    mix = peak_mixture(affinity, grid, k, sigma)
    if valid is not None:
        mix = mix.masked_fill(~valid, 0)
    return mix / mix.sum(-1, keepdim=True).clamp_min(1e-12)
