"""Training pairs: two frames of one video at a random gap, resized (and cropped) and, unless
`flip` is off, flipped alike, in Lab, with (for MER) each frame's precomputed flow transformed the
same way.

Which pairs (`pairs`):
- sample: each sample draws a video uniformly, then a gap: uniform in 1 .. max_gap, or drawn from
  `gaps` with probabilities `gap_probs` (MAST's 2, 5 or 8 frames with 0.4 / 0.4 / 0.2);
- mast: MAST's YouTubeVOSTrain list. Each pass over the data shuffles the videos, draws one gap per
  video and cuts its frames 0, g, 2g, ... into consecutive pairs (0, g), (2g, 3g), ...: longer
  videos and small gaps give more pairs (per pair, gaps 2 / 5 / 8 come out at about 66 / 26 / 8 %).
  Each pass's list is shuffled, as MAST's loader shuffles it. An epoch takes the samples of as many
  passes as it needs.
Geometry: `crop` takes a random square of the frame scaled so its short side is `crop_scale` (1 to
1.5) times the crop; `whole` resizes the whole frame to the square (MAST's 256 x 256, aspect not kept).

Every sample is a pure function of (seed, epoch, index), so runs, resumed runs and DDP ranks all
see the same data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..colour import AB_SCALE, lab_tensor
from ..datasets.index import open_index
from ..flow import FlowReader
from .config import TrainConfig


@dataclass
class Video:
    dataset: str  # the index file's stem, results/index/<dataset>.json
    name: str
    frames: list[Path]


def videos_from_indexes(paths: list[str | os.PathLike]) -> list[Video]:
    """Every sequence with at least two frames in the given dataset indexes."""
    videos = []
    for p in paths:
        reader = open_index(p)
        for name in reader.names():
            frames = reader.sequence(name).frames
            if len(frames) >= 2:
                videos.append(Video(Path(p).stem, name, frames))
    if not videos:
        raise ValueError(f"no video with two or more frames in {[str(p) for p in paths]}")
    return videos


class PairDataset(torch.utils.data.Dataset):
    def __init__(self, videos: list[Video], crop: int, max_gap: int, length: int, seed: int,
                 flow: dict[str, FlowReader] | None = None, flow_gap: int = 1,
                 gaps: tuple[int, ...] = (), gap_probs: tuple[float, ...] = (), resize: str = "crop",
                 flip: bool = True, pairs: str = "sample", ab_scale: float = AB_SCALE,
                 crop_scale: tuple[float, float] = TrainConfig.crop_scale):
        """flow maps a dataset name to its FlowReader; with it each frame comes with its flow."""
        self.videos, self.crop, self.max_gap, self.length, self.seed = videos, crop, max_gap, length, seed
        self.flow, self.flow_gap = flow, flow_gap
        self.gaps, self.gap_probs, self.resize = gaps, gap_probs, resize
        self.flip, self.pairs, self.ab_scale, self.crop_scale = flip, pairs, ab_scale, crop_scale
        if pairs not in ("sample", "mast"):
            raise ValueError(f"pairs must be sample or mast, not {pairs!r}")
        self._listed: tuple[int, list[tuple[int, int, int]]] | None = None  # (epoch, MAST's pairs)
        if flow is not None:
            missing = sorted({v.dataset for v in videos} - set(flow))
            if missing:
                raise ValueError(f"no flow index for dataset(s) {missing}; run the flow stage for them")
            for v in videos:  # a flow file of another video's length would pair frames with the wrong motion
                reader = flow[v.dataset]
                n = int(reader.file(v.name).attrs.get("num_frames", -1))
                if n != len(v.frames):
                    raise ValueError(f"flow file {reader.files[v.name]} covers {n} frames but video {v.name} has "
                                     f"{len(v.frames)}: run the flow stage for dataset {v.dataset} again")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length

    def _load(self, path: Path, size: tuple[int, int], box, flip: bool) -> torch.Tensor:
        with Image.open(path) as im:
            im = im.convert("RGB").resize(size, Image.BILINEAR).crop(box)
            if flip:
                im = im.transpose(Image.FLIP_LEFT_RIGHT)
            return lab_tensor(np.asarray(im), self.ab_scale)

    def _flow(self, video: Video, t: int, size, box, flip: bool) -> torch.Tensor:
        """Frame t's motion: its flow to t + gap, or (near the end) the flow arriving at it."""
        g = self.flow_gap
        start = t if t + g < len(video.frames) else t - g
        f = self.flow[video.dataset].for_frames(video.name, start, g, size, box, flip)
        return torch.from_numpy(f)

    def _gap(self, rng: np.random.Generator, longest: int) -> int:
        """A gap the video can hold: a listed gap (renormalised over those that fit; the
        longest possible when none fits), else uniform in 1 .. max_gap."""
        if not self.gaps:
            return int(rng.integers(1, min(self.max_gap, longest) + 1))
        probs = np.asarray(self.gap_probs or [1.0] * len(self.gaps), dtype=float)
        fits = np.asarray(self.gaps) <= longest
        if not fits.any():
            return longest
        p = np.where(fits, probs, 0.0)
        return int(rng.choice(self.gaps, p=p / p.sum()))

    def _mast_pairs(self) -> list[tuple[int, int, int]]:
        """This epoch's (video, first frame, gap) list, MAST's passes concatenated up to the length.
        Each pass's pairs are shuffled, as MAST's loader shuffles its list (shuffle=True), so that a
        batch holds pairs of many videos, not a run of one video's consecutive pairs."""
        if self._listed is None or self._listed[0] != self.epoch:
            pairs: list[tuple[int, int, int]] = []
            for p in range(self.length + 1):  # a pass yields at least one pair, so the loop ends
                rng = np.random.default_rng([self.seed, self.epoch, p, 1])
                listed = []
                for v in rng.permutation(len(self.videos)):
                    n = len(self.videos[v].frames)
                    gap = self._gap(rng, n - 1)
                    starts = np.arange(0, n, gap)
                    listed += [(int(v), int(s), gap) for s in starts[: len(starts) // 2 * 2: 2]]
                pairs += [listed[i] for i in rng.permutation(len(listed))]
                if len(pairs) >= self.length:
                    break
            self._listed = (self.epoch, pairs)
        return self._listed[1]

    def rng(self, i: int) -> np.random.Generator:
        """Sample i's generator this epoch: what makes a sample a pure function of (seed, epoch, i)."""
        return np.random.default_rng([self.seed, self.epoch, i])

    def pick(self, i: int, rng: np.random.Generator) -> tuple[int, int, int]:
        """Sample i's (video, reference frame, gap): what it trains on, before any pixel is read."""
        if self.pairs == "mast":
            return self._mast_pairs()[i]
        v = int(rng.integers(len(self.videos)))
        gap = self._gap(rng, len(self.videos[v].frames) - 1)
        return v, int(rng.integers(0, len(self.videos[v].frames) - gap)), gap

    def __getitem__(self, i: int) -> dict:
        rng = self.rng(i)
        v, t, gap = self.pick(i, rng)
        frames = self.videos[v].frames
        if self.resize == "whole":
            sw, sh = self.crop, self.crop
            box = (0, 0, self.crop, self.crop)
        else:
            with Image.open(frames[t]) as im:
                w, h = im.size
            scale = self.crop / min(w, h) * float(rng.uniform(*self.crop_scale))
            sw, sh = max(self.crop, round(w * scale)), max(self.crop, round(h * scale))
            x0, y0 = int(rng.integers(0, sw - self.crop + 1)), int(rng.integers(0, sh - self.crop + 1))
            box = (x0, y0, x0 + self.crop, y0 + self.crop)
        flip = self.flip and bool(rng.random() < 0.5)
        sample = {"query": self._load(frames[t + gap], (sw, sh), box, flip),
                  "reference": self._load(frames[t], (sw, sh), box, flip),
                  "video": v}
        if self.flow is not None:
            sample["query_flow"] = self._flow(self.videos[v], t + gap, (sw, sh), box, flip)
            sample["reference_flow"] = self._flow(self.videos[v], t, (sw, sh), box, flip)
        return sample
