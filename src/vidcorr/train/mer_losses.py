"""MER's fused loss (Eq. 16-21).

Eq. 16-17 positive-negative reconstruction: the affinity's softmax runs over the current video's
          reference pixels (positives, inside the sampler's window) and memory-bank pixels of
          other videos (negatives); the reconstruction uses the positives. This is
          `reconstruction_losses` with negatives and the sampler's window.
Eq. 18    weight-map loss: smooth L1 per pixel, weighted by the normalised VEN output.
Eq. 19-20 the weight map is blended with its complement by beta: w = beta * W + (1 - beta) *
          (1 - W), so beta near 1 favours the target (high W) and beta near 0 the background.
          Chosen here (config keys `beta_start`, `beta_end`, `beta_schedule`): beta moves from
          beta_start to beta_end over the stage, linearly or along a half cosine. Normalisation
          (config key `weight_norm`): `minmax` rescales W to [0, 1] per frame, `none` keeps the
          sigmoid output; the blended weights are then divided by their mean, so uniform weights
          give exactly the plain smooth L1.
Eq. 21    L = L_pn + lambda * L_w.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .reconstruction import RECON_SCALE


def beta_at(progress: float, start: float, end: float, schedule: str) -> float:
    """beta at a fraction `progress` in [0, 1] of the stage."""
    p = min(max(progress, 0.0), 1.0)
    if schedule == "cosine":
        p = 0.5 * (1 - math.cos(math.pi * p))
    elif schedule != "linear":
        raise ValueError(f"beta_schedule must be linear or cosine, not {schedule!r}")
    return start + (end - start) * p


def normalise_weights(weights: torch.Tensor, mode: str) -> torch.Tensor:
    """(B, 1, h, w) VEN output -> values in [0, 1] per frame."""
    if mode == "none":
        return weights
    if mode != "minmax":
        raise ValueError(f"weight_norm must be minmax or none, not {mode!r}")
    lo = weights.amin(dim=(1, 2, 3), keepdim=True)
    hi = weights.amax(dim=(1, 2, 3), keepdim=True)
    return (weights - lo) / (hi - lo).clamp_min(1e-6)


def weight_map_loss(prediction: torch.Tensor, target: torch.Tensor, weights: torch.Tensor, beta: float) -> torch.Tensor:
    """Eq. 18-20: weights (B, 1, h, w) in [0, 1], upsampled to the prediction's size; equals the
    reconstruction loss (smooth L1 of both sides scaled by RECON_SCALE) when the weights are uniform."""
    if weights.shape[-2:] != prediction.shape[-2:]:
        weights = F.interpolate(weights, size=prediction.shape[-2:], mode="bilinear", align_corners=False)
    w = beta * weights + (1 - beta) * (1 - weights)
    w = w / w.mean(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    per_pixel = F.smooth_l1_loss(RECON_SCALE * prediction, RECON_SCALE * target, reduction="none")
    return (w * per_pixel).mean()
