"""The global search, for settings where some memory frame is searched over the whole map
(`radius` or `long_term_radius` null): every query is matched against every key of every memory
frame, a chunk of queries at a time (bounded memory), and pairs beyond a frame's finite radius
are masked out. Within a chunk the affinity is sparsified to the top-k candidates and
softmax-normalised, or replaced by the compactness prior's mixture."""

from __future__ import annotations

import torch

from ..model.compactness import propagation_weights
from ..model.windows import chebyshev, grid_coords, in_window
from .config import PropagationConfig
from .memory import stacked


def _aggregate(logits: torch.Tensor, labels: torch.Tensor, grid: tuple[int, int],
               cfg: PropagationConfig) -> torch.Tensor:
    """logits (B, Q, M, N) with -inf for excluded pairs, N the memory frame's (h, w) `grid`;
    labels (B, M, N, C) -> (B, Q, C)."""
    b, q, m, n = logits.shape
    if cfg.compactness:
        mixture = propagation_weights(logits, grid, torch.isinf(logits), cfg)
        return torch.einsum("bqmn,bmnc->bqc", mixture, labels)
    flat = logits.reshape(b, q, m * n)
    top, idx = flat.topk(min(cfg.topk, m * n), dim=-1)  # (B, Q, k)
    weights = torch.softmax(top, dim=-1)
    c = labels.shape[-1]
    picked = torch.gather(labels.reshape(b, 1, m * n, c).expand(b, q, m * n, c), 2,
                          idx.unsqueeze(-1).expand(b, q, idx.shape[-1], c))
    return (weights.unsqueeze(-1) * picked).sum(2)


class GlobalSearch:
    """A matcher (inference/matching.py) over whole maps: holds the memory's keys and labels stacked."""

    kind = "global"

    def __init__(self, cfg: PropagationConfig, dtype: torch.dtype):
        self.cfg, self.dtype = cfg, dtype
        self.keys = self.labels = self.radii = None

    def describe(self) -> dict:
        return {"kind": self.kind, "dtype": str(self.dtype).removeprefix("torch."), "tile": None}

    def sync(self, entries: list[tuple[int, torch.Tensor, torch.Tensor]], long_term: list[bool]) -> None:
        self.keys, self.labels = stacked(entries)
        self.radii = [self.cfg.long_term_radius if far else self.cfg.radius for far in long_term]

    def transfer(self, query: torch.Tensor) -> torch.Tensor:
        """Labels (C, h, w) for the query frame's features (D, h, w)."""
        cfg, keys, labels = self.cfg, self.keys, self.labels
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
        bounded = [(i, r) for i, r in enumerate(self.radii) if r is not None]
        for s in range(0, n, chunk):
            logits = torch.einsum("qd,mdn->qmn", q[s: s + chunk], k)
            if bounded:
                distance = chebyshev(coords[s: s + chunk, None, :] - coords[None, :, :])  # (chunk, N)
                for i, r in bounded:
                    logits[:, i].masked_fill_(~in_window(distance, r), float("-inf"))
            out[s: s + chunk] = _aggregate(logits.unsqueeze(0), lab, (h, w), cfg)[0]
        return out.t().reshape(c, h, w)
