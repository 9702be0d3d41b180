"""Learned flow through ptlflow (RAFT and any other ptlflow model), offline.

Weights come from a local file or from a ptlflow named checkpoint that is already in the torch hub
cache; nothing is downloaded. The checkpoint is resolved before any frame is read, so a missing file
fails at once with the place to put it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch

from ..device import resolve_device
from ..provenance import sha256_file

log = logging.getLogger(__name__)


def _model_reference(model: str):
    import ptlflow

    try:
        return ptlflow.get_model_reference(model)
    except Exception as e:  # ptlflow raises a bare ValueError/KeyError for unknown names
        raise ValueError(f"flow.model {model!r} is not a ptlflow model name (see ptlflow.get_model_names())") from e


def hub_checkpoint_path(url: str) -> Path:
    """Where torch.hub (and so ptlflow) caches a named checkpoint's file."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def resolve_checkpoint(model: str, checkpoint: str | os.PathLike | None, allow_random_weights: bool) -> Path | None:
    """The local checkpoint file for `model`, or None for random weights when explicitly allowed."""
    ref = _model_reference(model)
    named = getattr(ref, "pretrained_checkpoints", {}) or {}
    if checkpoint is None:
        if allow_random_weights:
            return None
        hint = f" or one of its named checkpoints {sorted(named)}" if named else ""
        raise FileNotFoundError(
            f"flow.checkpoint is not set for ptlflow model {model!r}: set it to a local checkpoint file{hint}. "
            "(flow.allow_random_weights: true runs with untrained weights; meant for tests only)")
    path = Path(checkpoint).expanduser()
    if path.is_file():
        return path
    if str(checkpoint) in named:
        url = named[str(checkpoint)]
        cached = hub_checkpoint_path(url)
        if cached.is_file():
            return cached
        raise FileNotFoundError(
            f"ptlflow checkpoint {model}:{checkpoint} is not in the torch hub cache and cannot be downloaded "
            f"here: fetch {url} on a machine with internet and put it at {cached}, "
            f"or set flow.checkpoint to the file's path")
    hint = f" nor a named checkpoint of {model} ({sorted(named)})" if named else ""
    raise FileNotFoundError(f"flow.checkpoint {str(checkpoint)!r}: no such file{hint}; "
                            "set it to the path of a ptlflow checkpoint (.ckpt with a state_dict)")


class PtlflowFlow:
    """Batched forward flow with a ptlflow model, on CUDA when there is one."""

    backend = "ptlflow"

    def __init__(self, model: str, checkpoint=None, allow_random_weights: bool = False, batch_size: int = 4,
                 device: str = "auto"):
        path = resolve_checkpoint(model, checkpoint, allow_random_weights)
        import ptlflow

        self.model = model
        self.checkpoint = str(path) if path else None
        self.checkpoint_sha256 = sha256_file(path) if path else "random-init"
        if path is None:
            log.warning("ptlflow model %s runs with RANDOM weights (flow.allow_random_weights): "
                        "its flow is meaningless", model)
        self.net = ptlflow.get_model(model, ckpt_path=str(path) if path else None).eval()
        self.device = resolve_device(device)  # flow runs in float32: RAFT's refinement is not autocast
        self.net.to(self.device)
        self.batch_size = batch_size

    @torch.no_grad()
    def __call__(self, first: list[np.ndarray], second: list[np.ndarray]) -> list[np.ndarray]:
        """(2, H, W) float32 flow from each first frame to its second frame (RGB uint8 inputs)."""
        out = []
        for i in range(0, len(first), self.batch_size):
            pairs = np.stack([np.stack([a, b]) for a, b in zip(first[i:i + self.batch_size],
                                                                second[i:i + self.batch_size])])
            # ptlflow models take BGR in [0, 1], shaped (batch, 2, 3, H, W); they pad internally.
            images = torch.from_numpy(pairs[..., ::-1].copy()).permute(0, 1, 4, 2, 3).float().div_(255)
            flows = self.net({"images": images.to(self.device)})["flows"][:, 0]
            out.extend(f.float().cpu().numpy() for f in flows)
        return out
