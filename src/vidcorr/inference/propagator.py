"""The propagation core, frame by frame:

  frame 0: encode it and store its given labels as permanent memory;
  frame t: encode it once, transfer labels from every memory frame (the sequence's matcher,
           matching.make_matcher: windowed or global), upsample them
           to the input size, overwrite the pixels of any object first given at t, and store the
           result (at feature resolution) as short-term memory for the next frames: soft, or
           with `memory_labels: hard` the argmax's one-hot (MAST's and the LIIR port's memory).

With CopyFirst features every frame simply receives the first frame's labels, at full resolution
(plus any object given later, from its first frame on).
"""

from __future__ import annotations

from typing import Callable, Iterator

import cv2
import numpy as np
import torch

from .config import PropagationConfig
from ..model.encoder import stride4_size
from .features import CopyFirst
from .labels import downsample, upsample
from .matching import Matcher, make_matcher
from .memory import Memory


class Propagator:
    def __init__(self, features, cfg: PropagationConfig, device: torch.device | str = "cpu"):
        self.features = features.normalized(cfg.normalize) if hasattr(features, "normalized") else features
        self.cfg = cfg
        self.device = torch.device(device)
        self._kept: Matcher | None = None  # the last finished sequence's matcher (its buffers are reused)
        self._matchers: list[dict] = []  # Matcher.describe() of every distinct matcher that ran

    def ran(self) -> dict:
        """What ran, for provenance (as the matchers report it, not a recomputation): the device, the
        encoder's autocast dtype, and each distinct matcher's kind, matmul dtype and tile side."""
        policy = getattr(self.features, "policy", None)
        return {"device": str(self.device),
                "autocast": str(policy.dtype).removeprefix("torch.") if policy else None,
                "matmul": list(self._matchers)}

    def low_size(self, height: int, width: int) -> tuple[int, int]:
        """Feature-map size for a native frame size (after cfg.input_scale)."""
        s = self.cfg.input_scale
        size = getattr(self.features, "size", stride4_size)  # a bare callable: this project's stride 4
        return size(max(1, round(height * s)), max(1, round(width * s)))

    def _encode(self, rgb: np.ndarray):
        s = self.cfg.input_scale
        if s != 1.0:
            h, w = rgb.shape[:2]
            rgb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        return self.features(rgb)

    @torch.inference_mode()
    def run(
        self,
        num_frames: int,
        read_frame: Callable[[int], np.ndarray],
        first: torch.Tensor,
        first_low: torch.Tensor | None = None,
        given: dict[int, torch.Tensor] | None = None,
        categorical: bool = True,
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield (t, labels (C, H, W) at input resolution) for t = 1 .. num_frames - 1.

        first: frame 0's soft labels at input resolution. first_low: the same at feature
        resolution, when a direct construction is better than average pooling (keypoint heatmaps).
        given: frame index -> labels of objects that first appear there (zero elsewhere).
        categorical: the labels are classes (masks, parts), not heatmaps (keypoints), so that
        `memory_labels: hard` may store their argmax.
        """
        given = given or {}
        size = tuple(first.shape[-2:])
        if isinstance(self.features, CopyFirst):
            current = first
            for t in range(1, num_frames):
                if t in given:
                    current = self._write_in(current, given[t])
                yield t, current
            return
        low_size = self.low_size(*size)
        memory = Memory(self.cfg)
        query, key = self._encode(read_frame(0))
        low = first_low if first_low is not None else downsample(first.to(self.device), low_size)
        memory.add(0, key, low.to(self.device), annotated=True)
        kept, self._kept = self._kept, None  # taken: a sequence run meanwhile gets its own
        matcher = make_matcher(self.cfg, query, key, memory.capacity(), kept)
        if matcher.describe() not in self._matchers:
            self._matchers.append(matcher.describe())
        for t in range(1, num_frames):
            query, key = self._encode(read_frame(t))
            entries = memory.entries()
            matcher.sync(entries, memory.long_term(entries))  # windowed: a frame is laid out once, as it enters
            low = matcher.transfer(query)
            full = upsample(low, size)
            annotated = t in given
            if annotated:
                full = self._write_in(full, given[t])
            if categorical and self.cfg.memory_labels == "hard":
                hard = torch.nn.functional.one_hot(full.argmax(0), full.shape[0]).permute(2, 0, 1).to(full.dtype)
                low = downsample(hard, low_size)
            elif annotated:
                low = downsample(full, low_size)
            memory.add(t, key, low, annotated=annotated)
            yield t, full
        self._kept = matcher  # for the next sequence

    def _write_in(self, labels: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
        """Overwrite the pixels of newly given objects (channels >= 1 of `new`) with their labels."""
        new = new.to(labels.device)
        if new.shape[0] > labels.shape[0]:
            labels = torch.nn.functional.pad(labels, (0, 0, 0, 0, 0, new.shape[0] - labels.shape[0]))
        labels = labels.clone()
        inside = new[1:].sum(0) > 0
        labels[:, inside] = new[:, inside]
        return labels
