"""Pixel grids and local windows on a feature map: the one place the training losses, the VEN
and propagation's matching build them."""

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


def tile_window_mask(t: int, r: int, within: int, device=None) -> torch.Tensor:
    """(T*T, S*S), S = T + 2r: True where a position of the key tile (the query tile grown by r on
    every side) lies within `within` of a query-tile position on both axes."""
    offsets = grid_coords(t + 2 * r, t + 2 * r, device)[None] - r - grid_coords(t, t, device)[:, None]
    return offsets.abs().amax(-1) <= within
