"""A timed probe of one training stage on this machine, for the compute plan (`vidcorr plan`).

It builds the stage as training does (encoder, MER heads, bank, optimiser) and runs its real step
(train_one_epoch) on random pairs of the stage's crop, so no data or flow is needed: one untimed
step (allocation, kernel selection), then `steps` timed ones. Samples per second per process at
the stage's per-process batch, or a smaller one (`batch`) where memory or time would not allow it;
a step's cost grows about linearly with the batch, so the rate carries over.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ..device import policy
from .config import TrainConfig
from .loop import Ranks, build, train_one_epoch

PROBE_VIDEOS = 64  # distinct video ids of the random pairs, so the bank's negatives are never all excluded


class RandomPairs(torch.utils.data.Dataset):
    """Pairs of random Lab-range frames (and flow, for a stage that reads it) of the stage's crop."""

    def __init__(self, cfg: TrainConfig, length: int):
        self.cfg, self.length = cfg, length

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        """Every epoch draws the same pairs (the loop sets the epoch of a PairDataset)."""

    def __getitem__(self, i: int) -> dict:
        g = torch.Generator().manual_seed(i)
        c = self.cfg.crop
        sample = {"query": torch.rand(3, c, c, generator=g) * 2 - 1, "reference": torch.rand(3, c, c, generator=g) * 2 - 1,
                  "video": i % PROBE_VIDEOS}
        if self.cfg.needs_flow():
            sample["query_flow"] = torch.randn(2, c, c, generator=g)
            sample["reference_flow"] = torch.randn(2, c, c, generator=g)
        return sample


def probe(cfg: TrainConfig, steps: int = 2, batch: int | None = None, device: str = "auto",
          precision: str = "auto") -> dict:
    """Time `steps` training steps of `cfg`'s stage in one process; returns the batch probed, the
    seconds a step and samples per second (per process), and the device that ran them."""
    local = min(batch or cfg.batch_size, cfg.batch_size // cfg.devices)
    run = dataclasses.replace(cfg, devices=1, batch_size=local, epochs=1, steps_per_epoch=steps + 1, workers=0,
                              grad_log_every=0)  # the per-term gradient norms (every 10th step) are not timed
    pol = policy(device, precision)
    ranks = Ranks(0, 1, local, pol)
    torch.manual_seed(run.seed)
    parts = build(run, RandomPairs(run, (steps + 1) * local), None, ranks)
    if parts.use_bank:  # a full bank, as after the stage's first steps
        frames = parts.bank.frames
        points = F.normalize(torch.randn(frames, parts.bank.points, parts.bank.dim), dim=-1)
        parts.bank.push(points, torch.arange(frames) % PROBE_VIDEOS + PROBE_VIDEOS)
    rows: list[dict] = []
    train_one_epoch(parts, dataclasses.replace(run, steps_per_epoch=1), 0, ranks, rows, None, Path("probe"))
    start = time.perf_counter()
    train_one_epoch(parts, dataclasses.replace(run, steps_per_epoch=steps), 0, ranks, rows, None, Path("probe"))
    if pol.device.type == "cuda":
        torch.cuda.synchronize(pol.device)
    seconds = (time.perf_counter() - start) / steps
    peak = torch.cuda.max_memory_allocated(pol.device) / 2**30 if pol.device.type == "cuda" else None
    return {"batch": local, "seconds_per_step": seconds, "samples_per_second": local / seconds,
            "peak_gib": peak, **pol.describe()}
