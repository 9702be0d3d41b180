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
Eq. 7-8 compactness: each intra-video affinity map is pulled towards its mixture of Gaussians
       around its top-k peaks (model/compactness.py: the mixture form, L1, or the LIIR port's).

The affinity is local: each query pixel is compared only with the reference pixels of its window
(model/windows.py lays them out in tiles), so memory grows as HW x (TILE + 2R)^2, not (HW)^2, as
in MAST's local correlation; outside the window the dense form's affinity is exactly 0, so both
give the same loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from ..model.compactness import TrainingPrior
from ..model.windows import Windows, in_window, local_windows

RECON_SCALE = 20.0  # MAST: smooth_l1(20 * prediction, 20 * target)


@dataclass
class Losses:
    total: torch.Tensor
    reconstruction: torch.Tensor
    compactness: torch.Tensor
    prediction: torch.Tensor  # the reconstructed channel (B, 1, H, W), at the target's resolution
    windows: Windows  # the layout of the next two: (B, n, Tq, Tk), query slot x key slot
    affinity: torch.Tensor  # over the window's reference pixels; with negatives, rows sum to < 1
    logits: torch.Tensor  # intra-video similarities / temperature, -inf outside the window


BANK_CHUNK = 2**25  # queries x bank logits built at once (elements); beyond it, per sample and checkpointed


def bank_logsumexp(q: torch.Tensor, negatives: torch.Tensor, negative_videos: torch.Tensor, videos: torch.Tensor,
                   temperature: float) -> torch.Tensor:
    """log sum_k exp(q . n_k / temperature) over the memory bank's negatives (K, D) of other
    videos than the sample's (its own video's are never its negatives), for queries q (B, ..., D):
    (B, ..., 1). The queries x bank logits can be a step's largest tensor (12 x 4,096 x 13,000 at
    the paper's MER settings); past BANK_CHUNK elements they are built one sample at a time and,
    when training, rebuilt in the backward pass (activation checkpointing)."""
    negatives = negatives.to(q)
    own = negative_videos.to(q.device)[None, :] == videos.to(q.device)[:, None]  # (B, K)

    def part(qs: torch.Tensor, owns: torch.Tensor) -> torch.Tensor:
        neg = torch.matmul(qs / temperature, negatives.T)
        owns = owns.view(owns.shape[0], *[1] * (neg.dim() - 2), owns.shape[1])
        return torch.logsumexp(neg.masked_fill_(owns, float("-inf")), dim=-1, keepdim=True)

    if q[..., 0].numel() * negatives.shape[0] <= BANK_CHUNK:
        return part(q, own)
    if not q.requires_grad:
        return torch.cat([part(q[i:i + 1], own[i:i + 1]) for i in range(q.shape[0])])
    return torch.cat([checkpoint(part, q[i:i + 1], own[i:i + 1], use_reentrant=False) for i in range(q.shape[0])])


def window_logits(fq: torch.Tensor, fr: torch.Tensor, radius: int, temperature: float,
                  ranges: torch.Tensor | None = None) -> tuple[Windows, torch.Tensor]:
    """The windows of every query pixel and their logits (B, n, Tq, Tk): L2-normalised (B, D, h, w)
    features' dot products / temperature, -inf beyond `radius` (or beyond each query pixel's own
    range (B, h*w), the multi-cluster sampler's, which then sets the windows' extent)."""
    b, d, h, w = fq.shape
    extent = radius if ranges is None else math.ceil(float(ranges.max()))
    win = local_windows(h, w, extent, device=fq.device)
    q = win.gather_queries(fq.reshape(b, d, h * w))
    k = win.gather_keys(fr.reshape(b, d, h * w))
    logits = torch.matmul(q, k.transpose(-1, -2)) / temperature
    inside = in_window(win.distance, radius if ranges is None else ranges[:, win.queries][..., None])
    return win, logits.masked_fill(~inside, float("-inf"))


def reconstruction_losses(
    fq: torch.Tensor, fr: torch.Tensor, values: torch.Tensor, target: torch.Tensor, *,
    radius: int, temperature: float, ranges: torch.Tensor | None = None,
    negatives: torch.Tensor | None = None, negative_videos: torch.Tensor | None = None, videos: torch.Tensor | None = None,
    compactness: TrainingPrior | None = None, scale: float = RECON_SCALE,
) -> Losses:
    """fq, fr: (B, D, h, w) L2-normalised features; values (B, 1, h, w); target (B, 1, H, W) at
    feature or input resolution.

    negatives (K, D) with their video ids join the denominator, except those of the sample's own
    video. `compactness` adds the spatial-compactness prior's loss. Both sides of smooth L1 are multiplied by `scale`.
    `ranges` (B, h*w), per query pixel (the multi-cluster sampler's), replace the square window of
    `radius`.
    """
    b, d, h, w = fq.shape
    win, logits = window_logits(fq, fr, radius, temperature, ranges)
    denom = torch.logsumexp(logits, dim=-1, keepdim=True)
    if negatives is not None and negatives.shape[0]:
        denom = torch.logaddexp(denom, bank_logsumexp(win.gather_queries(fq.reshape(b, d, h * w)), negatives,
                                                      negative_videos, videos, temperature))
    affinity = torch.exp(logits - denom)  # rows sum to <= 1
    recon = win.scatter(torch.matmul(affinity, win.gather_keys(values.reshape(b, 1, h * w))))
    recon = recon.transpose(1, 2).reshape(b, 1, h, w)
    if recon.shape[-2:] != target.shape[-2:]:
        recon = F.interpolate(recon, size=target.shape[-2:], mode="bilinear", align_corners=False)
    rec = F.smooth_l1_loss(scale * recon, scale * target)
    comp = torch.zeros((), device=fq.device)
    if compactness is not None:
        intra = torch.softmax(logits, dim=-1)
        rows = compactness.loss(intra, win.key_grid, logits > float("-inf"), (2 * radius + 1) ** 2)
        comp = compactness.weight * win.scatter(rows[..., 0]).mean()
    return Losses(rec + comp, rec, comp, recon, win, affinity, logits)
