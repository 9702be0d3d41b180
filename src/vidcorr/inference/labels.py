"""Label maps as soft per-class channels: built from ids or keypoints, resized, and decoded back."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def one_hot(ids: np.ndarray, num_classes: int) -> torch.Tensor:
    """(H, W) integer ids -> (C, H, W) float one-hot."""
    t = torch.from_numpy(np.asarray(ids, dtype=np.int64))
    if int(t.max()) >= num_classes:
        raise ValueError(f"label id {int(t.max())} does not fit in {num_classes} classes")
    return F.one_hot(t, num_classes).permute(2, 0, 1).float()


def downsample(probs: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Average each class over the input pixels of every feature cell."""
    return F.adaptive_avg_pool2d(probs[None], size)[0]


def upsample(probs: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear back to input resolution."""
    return F.interpolate(probs[None], size=size, mode="bilinear", align_corners=False)[0]


def heatmaps(xy: np.ndarray, size: tuple[int, int], sigma: float, stride: float = 1.0) -> torch.Tensor:
    """(J, h, w) Gaussians of std `sigma` (in map pixels) at input-pixel keypoints `xy` (J, 2).

    A map pixel j covers input pixels [stride*j, stride*(j+1)), so its centre is at input
    coordinate stride*(j + 0.5) - 0.5 (the same convention as bilinear resizing). Keypoints that
    are missing (NaN) get an empty map.
    """
    h, w = size
    xy = np.asarray(xy, dtype=np.float64)
    u = (xy[:, 0] + 0.5) / stride - 0.5
    v = (xy[:, 1] + 0.5) / stride - 0.5
    gx = torch.arange(w, dtype=torch.float64)
    gy = torch.arange(h, dtype=torch.float64)
    ut, vt = torch.from_numpy(u), torch.from_numpy(v)
    g = torch.exp(-((gy.view(1, h, 1) - vt.view(-1, 1, 1)) ** 2 + (gx.view(1, 1, w) - ut.view(-1, 1, 1)) ** 2)
                  / (2 * sigma**2))
    g[~torch.isfinite(ut) | ~torch.isfinite(vt)] = 0
    return g.float()


def decode_ids(probs: torch.Tensor) -> np.ndarray:
    """(C, H, W) -> (H, W) uint8 argmax ids."""
    return probs.argmax(0).to(torch.uint8).cpu().numpy()


def decode_keypoints(maps: torch.Tensor, radius: int = 4) -> np.ndarray:
    """(J, H, W) heatmaps -> (J, 2) x/y: each map's maximum, refined to the weighted centroid of
    the map within `radius` pixels of it (an argmax alone snaps to the feature grid)."""
    j, h, w = maps.shape
    flat = maps.reshape(j, -1)
    idx = flat.argmax(-1).cpu().numpy()
    out = np.empty((j, 2))
    m = maps.detach().cpu().double().numpy()
    for k, i in enumerate(idx):
        y, x = divmod(int(i), w)
        y0, y1, x0, x1 = max(y - radius, 0), min(y + radius + 1, h), max(x - radius, 0), min(x + radius + 1, w)
        win = np.clip(m[k, y0:y1, x0:x1], 0, None)
        total = win.sum()
        if total <= 0:
            out[k] = (x, y)
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1]
        out[k] = ((win * xs).sum() / total, (win * ys).sum() / total)
    return out
