"""Pixel grids and local windows on a feature map, shared by the training losses and the VEN."""

from __future__ import annotations

import torch


def grid_coords(h: int, w: int, device=None) -> torch.Tensor:
    """(HW, 2) x, y of every position, row-major."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], -1).float()


def chebyshev_distance(h: int, w: int, device=None) -> torch.Tensor:
    """(HW, HW) max(|dx|, |dy|) between every two positions."""
    xy = grid_coords(h, w, device)
    return (xy[:, None] - xy[None]).abs().amax(-1)


def window_mask(h: int, w: int, radius: int, device=None) -> torch.Tensor:
    """(HW, HW) True where two positions are within `radius` on both axes."""
    return chebyshev_distance(h, w, device) <= radius
