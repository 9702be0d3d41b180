"""Spatial-compactness prior (LIIR Eq. 7-8): an affinity map approximated by a mixture of 2D
Gaussians centred on its top-k peaks and weighted by the peak values."""

from __future__ import annotations

import torch


def peak_mixture(affinity: torch.Tensor, coords: torch.Tensor, k: int, sigma: float) -> torch.Tensor:
    """Unnormalised mixture over the last axis: affinity (..., N), coords (N, 2) or broadcastable
    to (..., N, 2) (each window's own positions) -> (..., N).

    Each of the k largest entries contributes value * exp(-|p - peak|^2 / (2 sigma^2)); summed
    peak by peak, so nothing of size k x N is held at once.
    """
    n = affinity.shape[-1]
    peaks, idx = affinity.topk(min(k, n), dim=-1)
    coords = coords.expand(*affinity.shape, 2)
    peak_xy = torch.gather(coords, -2, idx.unsqueeze(-1).expand(*idx.shape, 2))  # (..., k, 2)
    out = torch.zeros_like(affinity)
    for j in range(peaks.shape[-1]):
        d2 = (coords - peak_xy[..., j:j + 1, :]).pow(2).sum(-1)
        out = out + peaks[..., j:j + 1] * torch.exp(-d2 / (2 * sigma**2))
    return out


def compactness_heatmap(affinity: torch.Tensor, coords: torch.Tensor, k: int, sigma: float,
                        valid: torch.Tensor | None = None) -> torch.Tensor:
    """The mixture normalised to sum to 1 over the last axis (over `valid` positions only)."""
    mix = peak_mixture(affinity, coords, k, sigma)
    if valid is not None:
        mix = mix.masked_fill(~valid, 0)
    return mix / mix.sum(-1, keepdim=True).clamp_min(1e-12)
