"""vidcorr from Python: load a model, get its features, track a mask through frames.

    import numpy as np
    from vidcorr.api import load_model, track

    model = load_model("lab")                  # or a vidcorr checkpoint path
    frames = np.stack(my_rgb_frames)           # (T, H, W, 3) uint8
    labels = track(frames, first_mask, model)  # (T, H, W) uint8 object ids, frame 0's given

The same engine as `vidcorr propagate` and `vidcorr track` (inference/track.py), with the
propagation section's settings (PropagationConfig) as keyword arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .datasets.masks import VOID, objects_in, read_user_mask, without_void
from .device import resolve_device
from .inference import LabFeatures, PropagationConfig, Propagator, make_features
from .inference.track import track_ids

__all__ = ["Model", "load_model", "read_user_mask", "track"]


@dataclass
class Model:
    """A feature extractor the propagation engine matches with: a trained encoder, or raw Lab colour."""

    extractor: object  # NetworkFeatures or LabFeatures (vidcorr.inference.features)
    checkpoint: str
    device: torch.device

    def features(self, frames: np.ndarray) -> tuple[torch.Tensor, int]:
        """(T, D, h, w) features of (T, H, W, 3) uint8 RGB frames, and their stride (input pixels per
        feature cell: 4 for Lab and this project's encoders, so h = ceil(H / 4); a converted model's own).
        An encoder's are L2-normalised per pixel; `lab`'s are each 4 x 4 cell's mean Lab colour."""
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"frames must be uint8 RGB of shape (T, H, W, 3), not {frames.dtype} {frames.shape}")
        out = [self.extractor(f)[0] for f in frames]
        if isinstance(self.extractor, LabFeatures):
            out = [q[:3] for q in out]  # the query's last channel is a constant of the distance's expansion
        return torch.stack(out), self.extractor.stride


def load_model(checkpoint: str = "lab", device: str = "auto") -> Model:
    """`lab` (raw colour, no weights), or the path of a vidcorr (or converted) checkpoint."""
    if checkpoint == "copy-first":
        raise ValueError("copy-first has no features: load `lab` or a checkpoint")
    dev = resolve_device(device)
    return Model(make_features(checkpoint, dev), checkpoint, dev)


def track(frames, mask: np.ndarray, model: Model, frame: int = 0, **settings) -> np.ndarray:
    """Object ids (T, H, W) uint8 for every frame: `mask` (H, W ids, 0 background) labels frame
    `frame` (255: void, not an object); tracked forward to the end and backward to the start. `settings`: propagation
    settings (radius, topk, temperature, short_term, input_scale, ...), today's defaults otherwise.
    `frames`: an array (T, H, W, 3) or a list of such frames."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be an (H, W) map of object ids, not of shape {mask.shape}")
    if mask.shape != tuple(frames[0].shape[:2]):
        raise ValueError(f"mask is {mask.shape[1]}x{mask.shape[0]} but the frames are "
                         f"{frames[0].shape[1]}x{frames[0].shape[0]}: give the mask at the frames' size")
    if not objects_in(mask):
        raise ValueError(f"mask holds no object (every pixel is background or void {VOID}): nothing to track")
    mask = without_void(mask)  # DAVIS's void is not an object, as in `vidcorr propagate`
    propagator = Propagator(model.extractor, PropagationConfig.from_dict(settings), model.device)
    out = np.zeros((len(frames), *mask.shape), np.uint8)
    for t, ids in track_ids(propagator, len(frames), lambda i: np.asarray(frames[i]), mask, frame):
        out[t] = ids
    return out
