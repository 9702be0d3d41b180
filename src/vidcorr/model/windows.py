"""Pixel grids and local windows on a feature map, as the training losses and the VEN use them
(propagation folds its windows into the matmul instead: inference/key_tiles.py). What "inside the
window" means is stated here once (`chebyshev`, `in_window`); every window in training, the VEN
and propagation asks these two."""

from __future__ import annotations

from dataclasses import dataclass

import torch


def grid_coords(h: int, w: int, device=None) -> torch.Tensor:
    """(HW, 2) x, y of every position, row-major."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], -1).float()


def chebyshev(offset: torch.Tensor) -> torch.Tensor:
    """max(|dx|, |dy|) of offsets (..., 2), or |d| of offsets (..., 1) along one axis: the window is
    a square, so a pair's distance is its larger axis offset."""
    return offset.abs().amax(-1)


def in_window(distance: torch.Tensor, radius) -> torch.Tensor:
    """The window rule: a key is compared with a query when their `chebyshev` distance is at most
    `radius` (a number, or per query a tensor that broadcasts against `distance`)."""
    return distance <= radius


def chebyshev_distance(h: int, w: int, device=None) -> torch.Tensor:
    """(HW, HW) distance between every two positions."""
    xy = grid_coords(h, w, device)
    return chebyshev(xy[:, None] - xy[None])


TILE = 16  # query tile side of the training's windowed affinity (memory/speed trade-off only)


@dataclass(frozen=True)
class Windows:
    """Which reference pixels each query pixel of an (h, w) map is compared with, laid out for
    batched matmuls: the queries in tiles, each tile's keys the square around it grown by the
    radius. Its memory grows as HW x (TILE + 2R)^2, not (HW)^2; when one tile's window would
    cover the whole map the layout is the dense one (one tile, every pixel a key)."""

    queries: torch.Tensor  # (n, Tq) pixel index of each query slot (padding slots repeat a real pixel)
    keys: torch.Tensor  # (n, Tk) pixel index of each key slot (padding slots: pixel 0)
    distance: torch.Tensor  # (n, Tq, Tk) Chebyshev distance of each pair; inf at padding key slots
    key_grid: tuple[int, int]  # every tile's key slots form a row-major grid of this (rows, columns) shape
    order: torch.Tensor  # (HW,) for each pixel, its (real) slot in the flattened (n * Tq) queries

    def gather_queries(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, HW) -> (B, n, Tq, C)."""
        return x[:, :, self.queries].permute(0, 2, 3, 1)

    def gather_keys(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, HW) -> (B, n, Tk, C)."""
        return x[:, :, self.keys].permute(0, 2, 3, 1)

    def scatter(self, y: torch.Tensor) -> torch.Tensor:
        """Per-slot values (B, n, Tq, ...) -> per pixel (B, HW, ...)."""
        return y.flatten(1, 2)[:, self.order]


def local_windows(h: int, w: int, radius: int, tile: int = TILE, device=None) -> Windows:
    if (tile + 2 * radius) ** 2 >= h * w:
        idx = torch.arange(h * w, device=device)[None]
        return Windows(idx, idx, chebyshev_distance(h, w, device)[None], (h, w), idx[0])
    s = tile + 2 * radius
    ty, tx = torch.meshgrid(torch.arange(-(-h // tile), device=device), torch.arange(-(-w // tile), device=device),
                            indexing="ij")
    origin = torch.stack([tx.reshape(-1), ty.reshape(-1)], -1) * tile  # (n, 2) x, y of each tile's corner
    q_xy = origin[:, None] + grid_coords(tile, tile, device).long()[None]  # (n, Tq, 2)
    k_xy = origin[:, None] - radius + grid_coords(s, s, device).long()[None]  # (n, Tk, 2)
    q_real = (q_xy[..., 0] < w) & (q_xy[..., 1] < h)
    q_xy = torch.minimum(q_xy, torch.tensor([w - 1, h - 1], device=device))
    k_real = (k_xy >= 0).all(-1) & (k_xy[..., 0] < w) & (k_xy[..., 1] < h)
    distance = chebyshev(q_xy[:, :, None] - k_xy[:, None]).float()
    distance = distance.masked_fill(~k_real[:, None], float("inf"))
    queries = q_xy[..., 1] * w + q_xy[..., 0]
    keys = torch.where(k_real, k_xy[..., 1] * w + k_xy[..., 0], torch.zeros_like(k_real, dtype=torch.long))
    slots = torch.arange(queries.numel(), device=device)[q_real.reshape(-1)]
    order = torch.empty(h * w, dtype=torch.long, device=device)
    order[queries.reshape(-1)[slots]] = slots
    return Windows(queries, keys, distance, (s, s), order)
