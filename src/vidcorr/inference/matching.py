"""Label transfer from memory frames to a query frame through feature affinity.

Short-term memory frames are searched within `radius`, long-term ones (the annotated first frame,
kept and periodic frames: far back in time, so the object may have moved far) within
`long_term_radius`; None means the whole frame. Two layouts of the same computation, both with
bounded memory:
- windowed (every radius finite): key_tiles.py, memory frames laid out once in tiles. No HW x HW
  affinity is built.
- global (some radius None): queries are matched against every key, a chunk of queries at a
  time, and pairs beyond a frame's finite radius are masked out.
Within a batch the affinity is either sparsified to the top-k candidates and softmax-normalised,
or (compactness prior) replaced by a mixture of Gaussians centred on each memory frame's top peaks
and weighted by them.
"""

from __future__ import annotations

import torch

from ..model.compactness import inference_weights
from ..model.windows import grid_coords
from .config import PropagationConfig
from .key_tiles import KeyTiles, unit_features


def _aggregate(logits: torch.Tensor, labels: torch.Tensor, grid: tuple[int, int], cfg: PropagationConfig) -> torch.Tensor:
    """logits (B, Q, M, N) with -inf for excluded pairs, N the memory frame's (h, w) `grid`;
    labels (B, M, N, C) -> (B, Q, C)."""
    b, q, m, n = logits.shape
    if cfg.compactness:
        affinity = torch.softmax(logits.reshape(b, q, m * n), dim=-1).view(b, q, m, n)
        mixture = inference_weights(affinity, grid, torch.isinf(logits), k=cfg.compactness_k, sigma=cfg.compactness_sigma,
                                    form=cfg.compactness_form, threshold=cfg.compactness_threshold)
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
        out[s: s + chunk] = _aggregate(logits.unsqueeze(0), lab, (h, w), cfg)[0]
    return out.t().reshape(c, h, w)


def transfer_labels(query: torch.Tensor, keys: torch.Tensor, labels: torch.Tensor, cfg: PropagationConfig,
                    long_term: list[bool] | None = None) -> torch.Tensor:
    """Labels (C, h, w) for the query frame from memory keys (M, D, h, w) and labels (M, C, h, w);
    long_term[i] says memory frame i is searched within cfg.long_term_radius (default: none is)."""
    long_term = long_term or [False] * keys.shape[0]
    radii = [cfg.long_term_radius if far else cfg.radius for far in long_term]
    if any(r is None for r in radii):
        return _global(query, keys, labels, cfg, radii)
    tiles = KeyTiles(*query.shape[1:], query.shape[0], cfg, query.device, slots=keys.shape[0],
                     unit=unit_features(query) and unit_features(keys, dim=1))
    tiles.sync([(i, keys[i], labels[i]) for i in range(keys.shape[0])], long_term)
    return tiles.transfer(query)


def windowed(cfg: PropagationConfig) -> bool:
    """Whether every memory frame is searched within a finite radius (the KeyTiles layout)."""
    return cfg.radius is not None and cfg.long_term_radius is not None
