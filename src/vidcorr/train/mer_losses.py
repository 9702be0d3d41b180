"""MER's fused loss (Eq. 16-21).

Eq. 16-17 positive-negative loss, in three readings of the paper's lost symbols
          (`pos_neg_positive`). reconstruction / window: a term of its own, whose positive is the
          query pixel's reconstruction in feature space (the affinity-weighted sum of the
          reference's features inside the window, the sampler's when it is on) or the window's
          reference pixels as a whole, its negatives the memory-bank pixels of other videos, the
          loss the cross-entropy of picking the positive among them; the reconstruction itself
          stays intra-video. pixel (train/config.py `pixel_positive`): LIIR's Eq. 4-5, whose InfoNCE
          form the text describes ("pixels from the current video sequence and other video
          sequences are used as positive and negative samples ... to reconstruct the current
          frame"): the bank joins the affinity's denominator, the reconstructed frame is compared
          with the query's own pixels, and L_pn is that smooth L1.
Eq. 18    weight-map loss: smooth L1 per pixel, weighted by the normalised VEN output; it replaces
          the plain smooth L1 of the reconstruction (section 3.4.2), it is not added to it.
Eq. 19-20 the weight map is blended with its complement by beta: w = beta * W + (1 - beta) *
          (1 - W), so beta near 1 favours the target (high W) and beta near 0 the background.
          Chosen here (config keys `beta_start`, `beta_end`, `beta_schedule`): beta moves from
          beta_start to beta_end over the stage, linearly or along a half cosine. Normalisation
          (config key `weight_norm`): `minmax` rescales W to [0, 1] per frame, `none` keeps the
          sigmoid output; the blended weights are then divided by their mean, so uniform weights
          give exactly the plain smooth L1.
Eq. 21    L = L_pn + lambda * L_w (+ the compactness prior, which the MER baseline keeps).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .reconstruction import RECON_SCALE, Losses, bank_logsumexp


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


def weight_map_loss(prediction: torch.Tensor, target: torch.Tensor, weights: torch.Tensor, beta: float,
                    scale: float = RECON_SCALE) -> torch.Tensor:
    """Eq. 18-20: weights (B, 1, h, w) in [0, 1], upsampled to the prediction's size; equals the
    reconstruction loss (smooth L1 of both sides multiplied by `scale`) when the weights are uniform."""
    if weights.shape[-2:] != prediction.shape[-2:]:
        weights = F.interpolate(weights, size=prediction.shape[-2:], mode="bilinear", align_corners=False)
    w = beta * weights + (1 - beta) * (1 - weights)
    w = w / w.mean(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    per_pixel = F.smooth_l1_loss(scale * prediction, scale * target, reduction="none")
    return (w * per_pixel).mean()


def positive_logits(fq: torch.Tensor, fr: torch.Tensor, losses: Losses, temperature: float,
                    positive: str) -> torch.Tensor:
    """Eq. 17's positive logit (B, HW, 1) for each query pixel, in one of two readings of the
    paper's lost symbols (config key `pos_neg_positive`):
    `reconstruction`: the pixel's reconstruction in feature space (the intra-video affinity of
    `losses` applied to the reference's features), one unique positive;
    `window`: every reference pixel of the window is a positive (the softmax mass on the own
    video's pixels against the bank's), which asks only that own-video pixels outscore other videos'."""
    win = losses.windows
    if positive == "window":
        return win.scatter(torch.logsumexp(losses.logits, dim=-1, keepdim=True))
    if positive != "reconstruction":
        raise ValueError(f"positive_logits serves pos_neg_positive reconstruction or window, not {positive!r}")
    q = fq.flatten(2).transpose(1, 2)  # (B, HW, D)
    target = F.normalize(win.scatter(torch.matmul(losses.affinity, win.gather_keys(fr.flatten(2)))), dim=-1)
    return (q * target).sum(-1, keepdim=True) / temperature


def positive_negative_loss(fq: torch.Tensor, pos: torch.Tensor, negatives: torch.Tensor,
                           negative_videos: torch.Tensor, videos: torch.Tensor, temperature: float) -> torch.Tensor:
    """Eq. 17: the cross-entropy of picking the positive (logits `pos` (B, HW, 1), from
    positive_logits) among the memory bank's negatives (K, D) with their video ids, fq (B, D, h, w)
    L2-normalised; a sample's own video is never its negative."""
    bank = bank_logsumexp(fq.flatten(2).transpose(1, 2), negatives, negative_videos, videos, temperature)
    return (torch.logaddexp(pos, bank) - pos).mean()
