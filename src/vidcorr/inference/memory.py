"""Reference memory: permanent frames (the annotated first frame, any frame where new objects
were given, with `first_frames` > 1 the predictions of the first frames, MER's long-term memory,
and the predictions of `keep_frames`, MAST's frame 5), short-term frames (the last N predictions,
every `short_term_stride`-th of them used: MAST's t-1, t-3, t-5) and optional periodic long-term
frames."""

from __future__ import annotations

from collections import deque

import torch

from .config import PropagationConfig


class Memory:
    def __init__(self, cfg: PropagationConfig):
        self.cfg = cfg
        self.permanent: list[tuple[int, torch.Tensor, torch.Tensor]] = []
        self.short = deque(maxlen=cfg.short_term) if cfg.short_term > 0 else deque(maxlen=0)
        self.long = deque(maxlen=cfg.long_term_size) if cfg.long_term_size > 0 else deque(maxlen=0)

    def add(self, t: int, key: torch.Tensor, labels: torch.Tensor, annotated: bool = False) -> None:
        """Store frame t's key features (D, h, w) and labels (C, h, w). Every frame enters the
        short-term queue, permanent ones too, so that the stride counts frames back from the newest
        (MAST's t-1, t-3, t-5 at every t, also while frame 5 is one of them)."""
        entry = (t, key, labels)
        if annotated:
            permanent = t > 0 or self.cfg.first_frame
        else:
            permanent = t < self.cfg.first_frames or t in self.cfg.keep_frames
        every = self.cfg.long_term_every
        if permanent:
            self.permanent.append(entry)
        elif not annotated and every and t % every == 0:
            self.long.append(entry)
        self.short.append(entry)

    def entries(self) -> list[tuple[int, torch.Tensor, torch.Tensor]]:
        seen, out = set(), []
        short = list(self.short)[::-1][::self.cfg.short_term_stride][::-1]  # every k-th back from the newest
        for entry in [*self.permanent, *self.long, *short]:
            if entry[0] not in seen:
                seen.add(entry[0])
                out.append(entry)
        return out

    def long_term(self, entries: list[tuple[int, torch.Tensor, torch.Tensor]]) -> list[bool]:
        """Per entry, whether it is long-term memory (searched within `long_term_radius`): the
        permanent and periodic frames, also while they are among the newest."""
        far = {e[0] for e in (*self.permanent, *self.long)}
        return [e[0] in far for e in entries]

    def capacity(self) -> int:
        """How many frames are held at once, frames where new objects are given aside."""
        cfg = self.cfg
        short = -(-cfg.short_term // cfg.short_term_stride)
        return int(cfg.first_frame) + cfg.first_frames - 1 + len(cfg.keep_frames) + short + cfg.long_term_size

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, list[bool]]:
        """Keys (M, D, h, w), labels (M, C, h, w) (`stacked`) and, per frame, whether it is long-term memory."""
        entries = self.entries()
        return *stacked(entries), self.long_term(entries)


def stacked(entries: list[tuple[int, torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Memory entries' keys (M, D, h, w) and labels (M, C, h, w), widened where classes were added."""
    c = max(e[2].shape[0] for e in entries)
    keys = torch.stack([e[1] for e in entries])
    labels = torch.stack([torch.nn.functional.pad(e[2], (0, 0, 0, 0, 0, c - e[2].shape[0])) for e in entries])
    return keys, labels
