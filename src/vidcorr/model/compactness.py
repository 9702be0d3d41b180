"""Spatial-compactness prior (LIIR Eq. 7-8): an affinity map approximated by a mixture of 2D
Gaussians centred on its top-k peaks and weighted by the peak values."""

from __future__ import annotations

import torch


def peak_mixture(affinity: torch.Tensor, coords: torch.Tensor, k: int, sigma: float) -> torch.Tensor:
    """Unnormalised mixture over the last axis: affinity (..., N), coords (N, 2) -> (..., N).

    Each of the k largest entries contributes value * exp(-|p - peak|^2 / (2 sigma^2)).
    """
    n = affinity.shape[-1]
    peaks, idx = affinity.topk(min(k, n), dim=-1)
    peak_xy = coords[idx]  # (..., k, 2)
    d2 = (coords.view(*([1] * (affinity.dim() - 1)), 1, n, 2) - peak_xy.unsqueeze(-2)).pow(2).sum(-1)
    return (peaks.unsqueeze(-1) * torch.exp(-d2 / (2 * sigma**2))).sum(-2)


def compactness_heatmap(affinity: torch.Tensor, coords: torch.Tensor, k: int, sigma: float,
                        valid: torch.Tensor | None = None) -> torch.Tensor:
    """The mixture normalised to sum to 1 over the last axis (over `valid` positions only)."""
    mix = peak_mixture(affinity, coords, k, sigma)
    if valid is not None:
        mix = mix.masked_fill(~valid, 0)
    return mix / mix.sum(-1, keepdim=True).clamp_min(1e-12)
