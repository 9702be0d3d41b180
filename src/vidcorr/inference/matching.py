"""Label transfer from memory frames to a query frame through feature affinity: the one seam.

Short-term memory frames are searched within `radius`, long-term ones (the annotated first frame,
kept and periodic frames: far back in time, so the object may have moved far) within
`long_term_radius`; None means the whole frame. `make_matcher` is the one place that picks how;
both layouts bound their memory:
- windowed (every radius finite): key_tiles.KeyTiles, memory frames laid out once in tiles. No
  HW x HW affinity is built.
- global (some radius None): global_search.GlobalSearch, queries against every key, a chunk of
  queries at a time, pairs beyond a frame's finite radius masked out.
Either keeps the top-k candidates, softmax-normalised, or (compactness prior) replaces the
affinity by a mixture of Gaussians centred on each memory frame's top peaks and weighted by them.
"""

from __future__ import annotations

from typing import Protocol

import torch

from .config import PropagationConfig
from .global_search import GlobalSearch
from .key_tiles import KeyTiles, unit_features


class Matcher(Protocol):
    """One sequence's label transfer, as the propagator drives it."""

    kind: str  # windowed or global

    def sync(self, entries: list[tuple[int, torch.Tensor, torch.Tensor]], long_term: list[bool]) -> None:
        """Hold exactly these memory entries (t, key (D, h, w), labels (C, h, w)); long_term[i]: entry i
        is searched within long_term_radius."""

    def transfer(self, query: torch.Tensor) -> torch.Tensor:
        """Labels (C, h, w) for the query frame's features (D, h, w) from every held entry."""

    def describe(self) -> dict:
        """What ran, for provenance: kind, the matmul's dtype and tile side (None where it has none)."""


def make_matcher(cfg: PropagationConfig, query: torch.Tensor, key: torch.Tensor, slots: int,
                 kept: Matcher | None = None) -> Matcher:
    """The matcher for a sequence whose features look like `query` (D, h, w) and `key` (D, h, w),
    or (M, D, h, w) for M frames, holding up to `slots` frames. `kept`: a finished sequence's
    matcher, whose buffers are reused where they fit (KeyTiles' key buffer, 1.35 GB at 480p, costs
    up to 2 s of page faults to allocate on 2 cores). A 16-bit shortlist only for unit (cosine)
    features (key_tiles.matmul_dtype)."""
    if cfg.radius is None or cfg.long_term_radius is None:
        return GlobalSearch(cfg, torch.result_type(query, key))
    (h, w), dim = query.shape[-2:], key.shape[-3]
    unit = unit_features(query) and unit_features(key, dim=key.dim() - 3)
    if isinstance(kept, KeyTiles) and kept.fits(h, w, dim, key.device, slots, unit):
        kept.clear()
        return kept
    return KeyTiles(h, w, dim, cfg, key.device, slots, unit=unit)


def transfer_labels(query: torch.Tensor, keys: torch.Tensor, labels: torch.Tensor, cfg: PropagationConfig,
                    long_term: list[bool] | None = None) -> torch.Tensor:
    """One transfer, outside a sequence: labels (C, h, w) for the query frame from memory keys
    (M, D, h, w) and labels (M, C, h, w); long_term[i] says memory frame i is searched within
    cfg.long_term_radius (default: none is)."""
    matcher = make_matcher(cfg, query, keys, keys.shape[0])
    matcher.sync([(i, keys[i], labels[i]) for i in range(keys.shape[0])], long_term or [False] * keys.shape[0])
    return matcher.transfer(query)
