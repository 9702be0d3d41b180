"""Spatial-compactness prior (LIIR Eq. 7-8): an affinity map approximated by a mixture of 2D
Gaussians centred on its top-k peaks, in one of two forms:

- mixture (this pipeline's reading of Eq. 7-8): the k peaks weigh their Gaussians by their values,
  and the mixture replaces every memory frame's map (at inference) or is its L1 target (training);
- port (the LIIR port's colorizer_momen.py): the softmax of the k peak values weighs them, and the
  mixture replaces a map only where its top affinity exceeds `threshold` (0.1 at inference; in
  training, smooth L1 x 20 on such rows, 0.5). The port's sigma = 1 is a full width at half maximum:
  a standard deviation of 1 / FWHM_PER_SIGMA = 0.4247 feature pixels; sigma here is always the
  standard deviation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

FORMS = ("mixture", "port")


def _check_form(form: str) -> None:
    if form not in FORMS:
        raise ValueError(f"compactness_form must be one of {', '.join(FORMS)}, not {form!r}")
FWHM_PER_SIGMA = 2 * math.sqrt(2 * math.log(2))  # a Gaussian's full width at half maximum over its sigma


def peak_mixture(affinity: torch.Tensor, grid: tuple[int, int], k: int, sigma: float,
                 softmax_peaks: bool = False) -> torch.Tensor:
    """Unnormalised mixture over the last axis of affinity (..., gh * gw), whose entries are a
    row-major grid of gh x gw positions one pixel apart -> (..., gh * gw).

    Each of the k largest entries contributes its weight (its value, or with `softmax_peaks` the
    softmax of the k values) times exp(-|p - peak|^2 / (2 sigma^2)). The Gaussian is a row factor
    times a column factor, so the mixture is one (gh x k) @ (k x gw) product per map, not k passes
    over every position's coordinates.
    """
    gh, gw = grid
    peaks, idx = affinity.topk(min(k, gh * gw), dim=-1)
    if softmax_peaks:
        peaks = torch.softmax(peaks, dim=-1)
    rows = torch.arange(gh, device=affinity.device, dtype=affinity.dtype)
    cols = torch.arange(gw, device=affinity.device, dtype=affinity.dtype)
    gy = torch.exp(-(rows - (idx // gw).to(affinity.dtype)[..., None]) ** 2 / (2 * sigma**2))  # (..., k, gh)
    gx = torch.exp(-(cols - (idx % gw).to(affinity.dtype)[..., None]) ** 2 / (2 * sigma**2))  # (..., k, gw)
    return torch.matmul((gy * peaks[..., None]).transpose(-1, -2), gx).flatten(-2)


def compactness_heatmap(affinity: torch.Tensor, grid: tuple[int, int], k: int, sigma: float,
                        valid: torch.Tensor | None = None) -> torch.Tensor:
    """The mixture normalised to sum to 1 over the last axis (over `valid` positions only)."""
    mix = peak_mixture(affinity, grid, k, sigma)
    if valid is not None:
        mix = mix.masked_fill(~valid, 0)
    return mix / mix.sum(-1, keepdim=True).clamp_min(1e-12)


@dataclass(frozen=True)
class TrainingPrior:
    """The training-time prior's settings (the stage's compactness_* keys)."""
    k: int
    sigma: float
    weight: float
    form: str = "mixture"
    threshold: float = 0.5

    def __post_init__(self) -> None:
        _check_form(self.form)

    def loss(self, intra: torch.Tensor, grid: tuple[int, int], valid: torch.Tensor, window: int) -> torch.Tensor:
        """Per query row of `intra` (..., grid positions; an intra-video softmax, `valid` where a
        position is in the window), its distance to the mixture of its own detached peaks (..., 1):
        L1 to the normalised mixture (mixture form), or, on rows whose top value exceeds the
        threshold, smooth L1 of 20 x both sides averaged over the window's `window` positions (port
        form: its colorizer averages over its (2R + 1)^2 window). Not yet multiplied by the weight."""
        if self.form == "mixture":
            heat = compactness_heatmap(intra.detach(), grid, self.k, self.sigma, valid=valid)
            return (intra - heat).abs().sum(-1, keepdim=True)
        heat = peak_mixture(intra.detach(), grid, self.k, self.sigma, softmax_peaks=True).masked_fill(~valid, 0)
        confident = (intra.detach().amax(-1, keepdim=True) > self.threshold).to(intra.dtype)
        scale = 20.0  # the port's, as its reconstruction's
        diff = F.smooth_l1_loss(scale * intra * confident, scale * heat * confident, reduction="none")
        return diff.sum(-1, keepdim=True) / window


def inference_weights(affinity: torch.Tensor, grid: tuple[int, int], outside: torch.Tensor, *, k: int, sigma: float,
                      form: str, threshold: float) -> torch.Tensor:
    """The prior's weights (B, Q, M, N) for memory frames' (h, w) `grid` maps from the joint
    affinity (B, Q, M, N) over all frames; `outside` marks pairs beyond a frame's window. Each
    query's weights sum to 1 (for the port's form this leaves the argmax of its unnormalised
    weights unchanged and keeps soft labels in memory at their scale)."""
    _check_form(form)
    if form == "mixture":
        weights = peak_mixture(affinity, grid, k, sigma)
    else:
        heat = peak_mixture(affinity, grid, k, sigma, softmax_peaks=True)
        weights = torch.where(affinity.amax(-1, keepdim=True) > threshold, heat, affinity)
    weights.masked_fill_(outside, 0)
    return weights.div_(weights.sum(dim=(-1, -2), keepdim=True).clamp_min(1e-12))


def propagation_weights(logits: torch.Tensor, grid: tuple[int, int], outside: torch.Tensor, cfg) -> torch.Tensor:
    """The prior as propagation applies it, whichever layout matched: `inference_weights` of the joint
    softmax of logits (B, Q, M * N or M, N; already over the temperature, -inf or far below the rest
    where `outside` (B, Q, M, N)), with the propagation settings' compactness_*."""
    b, q, m, n = outside.shape
    affinity = torch.softmax(logits.reshape(b, q, m * n), dim=-1).view(b, q, m, n)
    return inference_weights(affinity, grid, outside, k=cfg.compactness_k, sigma=cfg.compactness_sigma,
                             form=cfg.compactness_form, threshold=cfg.compactness_threshold)
