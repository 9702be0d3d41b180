"""The training objective.

Eq. 1  affinity: softmax over reference pixels of the dot products of L2-normalised query and
       reference features divided by a temperature, restricted to a local window;
Eq. 2  reconstruction: the affinity-weighted sum of the reference's (dropped-channel) pixels;
Eq. 3  loss: smooth L1 against the query's own pixels of that channel. As in MAST, the
       reconstruction (at feature resolution) is upsampled bilinearly to the target's resolution
       (the input crop) and both sides are scaled by RECON_SCALE = 20, which moves the loss out of
       smooth L1's quadratic regime so that reconstruction, not the compactness prior, dominates
       the encoder's gradient;
Eq. 4-5 inter-video: the softmax denominator also runs over memory-bank negatives from other
       videos, while the numerator (and so the reconstruction) uses reference pixels only;
Eq. 7-8 compactness: each intra-video affinity map is pulled (L1) towards its mixture of
       Gaussians around its top-k peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..model.compactness import compactness_heatmap
from ..model.windows import grid_coords, window_mask

RECON_SCALE = 20.0  # MAST: smooth_l1(20 * prediction, 20 * target)


@dataclass
class Losses:
    total: torch.Tensor
    reconstruction: torch.Tensor
    compactness: torch.Tensor
    prediction: torch.Tensor  # the reconstructed channel (B, 1, H, W), at the target's resolution
    affinity: torch.Tensor  # (B, HW, HW) over reference pixels; with negatives, rows sum to < 1
    logits: torch.Tensor  # (B, HW, HW) intra-video similarities / temperature, -inf outside the window


def negative_logits(q: torch.Tensor, negatives: torch.Tensor, negative_videos: torch.Tensor, videos: torch.Tensor,
                    temperature: float) -> torch.Tensor:
    """Logits (B, HW, K) of queries q (B, HW, D) against memory-bank negatives (K, D); those of a
    sample's own video are -inf (never its negatives)."""
    neg = torch.einsum("bqd,kd->bqk", q, negatives.to(q)) / temperature
    own = negative_videos.to(q.device)[None, :] == videos.to(q.device)[:, None]  # (B, K)
    return neg.masked_fill(own[:, None, :], float("-inf"))


def reconstruction_losses(
    fq: torch.Tensor, fr: torch.Tensor, values: torch.Tensor, target: torch.Tensor, *,
    radius: int, temperature: float, window: torch.Tensor | None = None,
    negatives: torch.Tensor | None = None, negative_videos: torch.Tensor | None = None, videos: torch.Tensor | None = None,
    compactness: tuple[int, float, float] | None = None, scale: float = RECON_SCALE,
) -> Losses:
    """fq, fr: (B, D, h, w) L2-normalised features; values (B, 1, h, w); target (B, 1, H, W) at
    feature or input resolution.

    negatives (K, D) with their video ids join the denominator, except those of the sample's own
    video. compactness = (k, sigma, weight). Both sides of smooth L1 are multiplied by `scale`. `window` (B or 1, HW, HW), e.g. from the
    multi-cluster sampler, replaces the square window of `radius`.
    """
    b, d, h, w = fq.shape
    q = fq.reshape(b, d, h * w)
    logits = torch.einsum("bdq,bdk->bqk", q, fr.reshape(b, d, h * w)) / temperature
    window = window_mask(h, w, radius, fq.device) if window is None else window
    logits = logits.masked_fill(~window, float("-inf"))
    if negatives is not None and negatives.shape[0]:
        neg = negative_logits(q.transpose(1, 2), negatives, negative_videos, videos, temperature)
        denom = torch.logsumexp(torch.cat([logits, neg], dim=-1), dim=-1, keepdim=True)
    else:
        denom = torch.logsumexp(logits, dim=-1, keepdim=True)
    affinity = torch.exp(logits - denom)  # (B, HW, HW), rows sum to <= 1
    recon = torch.bmm(affinity, values.reshape(b, h * w, 1)).reshape(b, 1, h, w)
    if recon.shape[-2:] != target.shape[-2:]:
        recon = F.interpolate(recon, size=target.shape[-2:], mode="bilinear", align_corners=False)
    rec = F.smooth_l1_loss(scale * recon, scale * target)
    comp = torch.zeros((), device=fq.device)
    if compactness is not None:
        k, sigma, weight = compactness
        intra = torch.softmax(logits, dim=-1)
        heat = compactness_heatmap(intra.detach(), grid_coords(h, w, fq.device), k, sigma, valid=window)
        comp = weight * (intra - heat).abs().sum(-1).mean()
    return Losses(rec + comp, rec, comp, recon, affinity, logits)
