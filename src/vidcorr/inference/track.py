"""Label maps through a video from one annotated frame: the core that `vidcorr propagate` (frame 0,
forward) and `vidcorr track` / `vidcorr.api.track` (any frame, both ways) share.

Tracking from frame k runs the propagator twice from k's labels: forward over k, k+1, ..., T-1 and
backward over k, k-1, ..., 0. Each pass is the same first-frame propagation the benchmarks measure;
the backward one simply reads the frames in reverse order.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
import torch

from .labels import decode_ids, one_hot
from .propagator import Propagator


def propagate_ids(propagator: Propagator, num_frames: int, read_frame: Callable[[int], np.ndarray],
                  first_ids: np.ndarray, num_classes: int,
                  given: dict[int, torch.Tensor] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(t, id map) for t = 1 .. num_frames - 1: frame 0's ids (and objects `given` later, as one-hot
    labels) through the frames."""
    for t, probs in propagator.run(num_frames, read_frame, one_hot(first_ids, num_classes), given=given):
        yield t, decode_ids(probs)


def track_ids(propagator: Propagator, num_frames: int, read_frame: Callable[[int], np.ndarray],
              ids: np.ndarray, frame: int, num_classes: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(t, id map) for every frame t of the video, frame `frame`'s `ids` included: forward from it
    to the end, then backward from it to the start."""
    if not 0 <= frame < num_frames:
        raise ValueError(f"the annotated frame {frame} is not in the video's {num_frames} frames (0 .. {num_frames - 1})")
    c = num_classes or int(ids.max()) + 1
    yield frame, np.asarray(ids, dtype=np.uint8)
    for t, out in propagate_ids(propagator, num_frames - frame, lambda i: read_frame(frame + i), ids, c):
        yield frame + t, out
    for t, out in propagate_ids(propagator, frame + 1, lambda i: read_frame(frame - i), ids, c):
        yield frame - t, out
