"""Per-frame features for matching: a trained encoder, raw Lab pixels, or none (copy-first).

Each extractor returns (query, key) maps of shape (D, h, w) at its `stride` (4 for Lab and this
project's encoders; a converted checkpoint's own: 8 for CRW and VFS, the patch for a ViT), such
that the affinity logit between a query pixel and a key pixel is their dot product; `size(H, W)`
says (h, w) before any frame is encoded.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..colour import lab_tensor
from ..device import Policy, autocast_dtype
from ..model import load_encoder
from ..model.encoder import STRIDE, stride4_size


class NetworkFeatures:
    """Encoder features, L2-normalised (cosine affinity) unless `normalize` is off (MAST's raw dot
    products), autocast to the device policy's dtype (vidcorr.device: bfloat16 or float16 on CUDA,
    float32 on the CPU) unless one is given. The encoder runs channels last (oneDNN's and cuDNN's
    faster convolution layout)."""

    def __init__(self, encoder: torch.nn.Module, device: torch.device, dtype: torch.dtype | None = None,
                 normalize: bool = True):
        self.encoder = encoder.to(device).eval().to(memory_format=torch.channels_last)
        self.device = device
        self.policy = Policy(device, dtype or autocast_dtype(device))
        self.stride = encoder.stride
        self.normalize = normalize

    def normalized(self, normalize: bool) -> "NetworkFeatures":
        """These features with `normalize` as the propagation settings ask (the same encoder)."""
        if normalize == self.normalize:
            return self
        return NetworkFeatures(self.encoder, self.device, self.policy.dtype, normalize)

    def size(self, height: int, width: int) -> tuple[int, int]:
        return self.encoder.feature_size(height, width)

    @torch.inference_mode()
    def __call__(self, rgb: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.encoder.preprocess(rgb)[None].to(self.device).contiguous(memory_format=torch.channels_last)
        with self.policy.autocast():
            f = self.encoder(x)[0].float()
        if self.normalize:
            f = F.normalize(f, dim=0)
        return f, f


class LabFeatures:
    """Raw Lab colour averaged over each 4x4 cell; the logit is minus the squared colour distance
    (up to a per-query constant, which the softmax ignores)."""

    stride = STRIDE

    def __init__(self, device: torch.device):
        self.device = device

    @staticmethod
    def size(height: int, width: int) -> tuple[int, int]:
        return stride4_size(height, width)

    @torch.inference_mode()
    def __call__(self, rgb: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        lab = lab_tensor(rgb).to(self.device)
        f = F.adaptive_avg_pool2d(lab[None], stride4_size(*rgb.shape[:2]))[0]
        query = torch.cat([f, torch.ones_like(f[:1])])
        key = torch.cat([2 * f, -(f * f).sum(0, keepdim=True)])
        return query, key


class CopyFirst:
    """No matching at all: every frame receives the first frame's labels."""


def make_features(checkpoint: str, device: torch.device):
    """`copy-first`, `lab` (BASELINES), or the path of an encoder checkpoint."""
    if checkpoint == "copy-first":
        return CopyFirst()
    if checkpoint == "lab":
        return LabFeatures(device)
    return NetworkFeatures(load_encoder(checkpoint, device), device)
