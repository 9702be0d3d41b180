"""Label transfer from memory frames to a query frame through feature affinity.

Short-term memory frames are searched within `radius`, long-term ones (the annotated first frame,
kept and periodic frames: far back in time, so the object may have moved far) within
`long_term_radius`; None means the whole frame. Two layouts of the same computation, both with
bounded memory:
- windowed (every radius finite, R the largest): the query is cut into T x T tiles; each tile is
  matched against the (T + 2R)^2 key tile around it in every memory frame, and pairs farther
  apart than that frame's radius on either axis are masked out. No HW x HW affinity is built.
- global (some radius None): queries are matched against every key, a chunk of queries at a
  time, and pairs beyond a frame's finite radius are masked out.
Within a batch the affinity is either sparsified to the top-k candidates and softmax-normalised,
or (compactness prior) replaced by a mixture of Gaussians centred on each memory frame's top peaks
and weighted by them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..model.compactness import peak_mixture
from ..model.windows import grid_coords, tile_window_mask
from .config import PropagationConfig


def _aggregate(logits: torch.Tensor, labels: torch.Tensor, coords: torch.Tensor, cfg: PropagationConfig) -> torch.Tensor:
    """logits (B, Q, M, N) with -inf for excluded pairs; labels (B, M, N, C); coords (N, 2) -> (B, Q, C)."""
    b, q, m, n = logits.shape
    if cfg.compactness:
        affinity = torch.softmax(logits.reshape(b, q, m * n), dim=-1).view(b, q, m, n)
        mixture = peak_mixture(affinity, coords, cfg.compactness_k, cfg.compactness_sigma)  # per memory frame
        mixture = mixture.masked_fill(torch.isinf(logits), 0)
        mixture = mixture / mixture.sum(dim=(-1, -2), keepdim=True).clamp_min(1e-12)
        return torch.einsum("bqmn,bmnc->bqc", mixture, labels)
    flat = logits.reshape(b, q, m * n)
    top, idx = flat.topk(min(cfg.topk, m * n), dim=-1)  # (B, Q, k)
    weights = torch.softmax(top, dim=-1)
    c = labels.shape[-1]
    picked = torch.gather(labels.reshape(b, 1, m * n, c).expand(b, q, m * n, c), 2,
                          idx.unsqueeze(-1).expand(b, q, idx.shape[-1], c))
    return (weights.unsqueeze(-1) * picked).sum(2)


def _global(query, keys, labels, cfg, radii) -> torch.Tensor:
    d, h, w = query.shape
    m, c = keys.shape[0], labels.shape[1]
    n = h * w
    q = query.reshape(d, n).t()
    k = keys.reshape(m, d, n)
    lab = labels.reshape(m, c, n).permute(0, 2, 1).unsqueeze(0)  # (1, M, N, C)
    coords = grid_coords(h, w, query.device)
    per_query = m * n * (1 + (cfg.compactness_k if cfg.compactness else 0))
    chunk = max(1, cfg.chunk_elements // per_query)
    out = torch.empty(n, c, device=query.device)
    q = q / cfg.temperature
    bounded = [(i, r) for i, r in enumerate(radii) if r is not None]
    for s in range(0, n, chunk):
        logits = torch.einsum("qd,mdn->qmn", q[s: s + chunk], k)
        if bounded:
            apart = (coords[s: s + chunk, None, :] - coords[None, :, :]).abs().amax(-1)  # (chunk, N), Chebyshev
            for i, r in bounded:
                logits[:, i].masked_fill_(apart > r, float("-inf"))
        out[s: s + chunk] = _aggregate(logits.unsqueeze(0), lab, coords, cfg)[0]
    return out.t().reshape(c, h, w)


def _windowed(query, keys, labels, cfg, radii) -> torch.Tensor:
    d, h, w = query.shape
    m, c = keys.shape[0], labels.shape[1]
    t, r = cfg.tile, max(radii)
    s = t + 2 * r
    ph, pw = (-h) % t, (-w) % t
    nty, ntx = (h + ph) // t, (w + pw) // t
    dev = query.device
    q = F.pad(query / cfg.temperature, (0, pw, 0, ph))
    q = q.reshape(d, nty, t, ntx, t).permute(1, 3, 2, 4, 0).reshape(nty, ntx, t * t, d)
    pad = (r, r + pw, r, r + ph)
    k = F.pad(keys, pad)
    lab = F.pad(labels, pad)
    valid = F.pad(torch.ones(h, w, dtype=torch.bool, device=dev), pad)
    masks = {ri: tile_window_mask(t, r, ri, dev) for ri in set(radii)}
    window = torch.stack([masks[ri] for ri in radii], 1).view(1, t * t, m, s * s)
    coords = grid_coords(s, s, dev)
    out = torch.empty(nty, ntx, t * t, c, device=dev)
    for ty in range(nty):
        rows = slice(ty * t, ty * t + s)
        # Key tiles as views (M, D, S, ntx, S) of the band, laid out once as (ntx, D, M * S * S).
        kt = k[:, :, rows].unfold(3, s, t).permute(3, 1, 0, 2, 4).reshape(ntx, d, m * s * s)
        lt = lab[:, :, rows].unfold(3, s, t).permute(3, 0, 2, 4, 1).reshape(ntx, m, s * s, c)
        vt = valid[rows].unfold(1, s, t).permute(1, 0, 2).reshape(ntx, 1, 1, s * s)
        logits = torch.bmm(q[ty], kt).view(ntx, t * t, m, s * s)
        logits.masked_fill_(~(window & vt), float("-inf"))
        out[ty] = _aggregate(logits, lt, coords, cfg)
    out = out.reshape(nty, ntx, t, t, c).permute(4, 0, 2, 1, 3).reshape(c, nty * t, ntx * t)
    return out[:, :h, :w]


def transfer_labels(query: torch.Tensor, keys: torch.Tensor, labels: torch.Tensor, cfg: PropagationConfig,
                    long_term: list[bool] | None = None) -> torch.Tensor:
    """Labels (C, h, w) for the query frame from memory keys (M, D, h, w) and labels (M, C, h, w);
    long_term[i] says memory frame i is searched within cfg.long_term_radius (default: none is)."""
    long_term = long_term or [False] * keys.shape[0]
    radii = [cfg.long_term_radius if far else cfg.radius for far in long_term]
    if any(r is None for r in radii):
        return _global(query, keys, labels, cfg, radii)
    return _windowed(query, keys, labels, cfg, radii)
