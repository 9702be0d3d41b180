"""MER's Value Extraction Network (Eq. 6-12): where in the target frame the objects worth
reconstructing are, as a per-pixel weight map that the fused loss uses (Eq. 18-20).

Eq. 6   potential value V_i = sum_{j in W(i)} M(q_i, r_j) - omega * M(q_i, q_i), with M(a, b) the
        cosine similarity where it exceeds gamma (0 elsewhere) and W(i) the local window;
        divided by the window's size so V does not depend on the radius.
Eq. 7   embedding: 1x1 convolution of V to `ven_dim` channels.
Eq. 8   encoding: `ven_layers` blocks of 3x3 convolution, BatchNorm, ReLU (the layer count is
        not given in the paper; config key `ven_layers`).
Eq. 9   absolute position: a fixed 2-D sinusoidal encoding added to the encoded map.
Eq. 10  queries and keys projected from the target frame's features, applied to the value
        encoding E: the frame decides which pixels share evidence, E carries the evidence.
Eq. 11  attention over all pixels; DropKey masks random logits (rate `dropkey`) in training only.
Eq. 12  weight map: sigmoid of a 1x1 convolution of the attended encoding (plus E), (B, 1, h, w).

L_w never trains the network: a map that weights the loss it is trained by would learn to lower
that loss by moving weight onto easy pixels, not onto the objects. The map enters L_w without
gradient, and what the network learns from is its own target (config key `ven_target`):
  frozen     no learning signal; the parameters keep their seeded initialisation and the map
             follows training only through its inputs (the first implementation's behaviour).
  potential  Eq. 6's V, min-max normalised per frame: the regions of the target frame that
             appeared in the reference ("potential regions where the tracked targets may be
             located", section 3.2).
  motion     the query's motion saliency: its flow's distance from the frame's median flow
             (camera motion), over the frame's largest such distance. The VEN's purpose, to
             "highlight moving targets" and not "moving background" (sections 1 and 4.3), read
             as a target. Not V x motion: on real frames V is highest on flat background and
             lowest on textured objects (docs/results: the weight-map figure), so the product
             vanishes on the objects it should mark.
The target's binary cross-entropy trains the VEN's own parameters only: its inputs, the encoder's
features, are detached, so the encoder cannot game it either.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..device import generator_on
from .position import sinusoid_2d
from .windows import in_window, local_windows


def potential_value(fq: torch.Tensor, fr: torch.Tensor, gamma: float, omega: float, radius: int) -> torch.Tensor:
    """Eq. 6 on L2-normalised (B, D, h, w) features: (B, 1, h, w), over each pixel's window."""
    b, d, h, w = fq.shape
    q, r = fq.flatten(2), fr.flatten(2)
    win = local_windows(h, w, radius, device=fq.device)
    sim = torch.matmul(win.gather_queries(q), win.gather_keys(r).transpose(-1, -2))  # (B, n, Tq, Tk)
    inside = in_window(win.distance, radius)
    m = win.scatter(torch.where((sim > gamma) & inside, sim, torch.zeros_like(sim)).sum(-1))  # (B, HW)
    count = win.scatter(inside.sum(-1)[None]).to(sim)
    self_sim = (q * q).sum(1)  # 1 for normalised features
    self_m = torch.where(self_sim > gamma, self_sim, torch.zeros_like(self_sim))
    return ((m - omega * self_m) / count).reshape(b, 1, h, w)


VEN_TARGETS = ("frozen", "potential", "motion")


def _minmax(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, h, w) -> [0, 1] per frame (a constant frame gives 0)."""
    lo, hi = x.amin(dim=(1, 2, 3), keepdim=True), x.amax(dim=(1, 2, 3), keepdim=True)
    return (x - lo) / (hi - lo).clamp_min(1e-6)


def motion_saliency(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, 2, H, W) flow in pixels -> (B, 1, h, w) in [0, 1]: each pixel's distance from the
    frame's median flow, over the frame's largest, averaged onto the feature grid."""
    median = flow.flatten(2).median(dim=2).values[..., None, None]
    away = (flow - median).norm(dim=1, keepdim=True)
    away = away / away.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
    return F.adaptive_avg_pool2d(away, size)


def value_target(kind: str, v: torch.Tensor, flow: torch.Tensor | None = None) -> torch.Tensor:
    """What the VEN learns to output (module docstring), (B, 1, h, w) in [0, 1]."""
    if kind == "potential":
        return _minmax(v)
    if kind == "motion":
        if flow is None:
            raise ValueError("ven_target motion needs the query's flow: the stage must read the flow index")
        return motion_saliency(flow, v.shape[-2:])
    raise ValueError(f"ven_target must be one of {', '.join(VEN_TARGETS[1:])} to give a target, not {kind!r}")


def value_loss(weights: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the weight map (a sigmoid output) against its target, in fp32."""
    return F.binary_cross_entropy(weights.float().clamp(1e-6, 1 - 1e-6), target.float())


ATTENTION_CHUNK = 2**25  # attention logits held at once (elements)


class ValueExtractionNetwork(nn.Module):
    def __init__(self, feat_dim: int = 256, dim: int = 64, layers: int = 2, gamma: float = 0.6,
                 omega: float = 1.0, radius: int = 6, dropkey: float = 0.1):
        super().__init__()
        self.gamma, self.omega, self.radius, self.dropkey, self.dim = gamma, omega, radius, dropkey, dim
        self.embed = nn.Conv2d(1, dim, 1)
        self.encode = nn.Sequential(*[nn.Sequential(nn.Conv2d(dim, dim, 3, padding=1, bias=False),
                                                    nn.BatchNorm2d(dim), nn.ReLU(inplace=True))
                                      for _ in range(layers)])
        self.to_q = nn.Conv2d(feat_dim, dim, 1)
        self.to_k = nn.Conv2d(feat_dim, dim, 1)
        self.head = nn.Conv2d(dim, 1, 1)

    def forward(self, fq: torch.Tensor, fr: torch.Tensor, generator: torch.Generator | None = None):
        """Target and reference features (B, D, h, w), L2-normalised -> (weight map, V), each (B, 1, h, w)."""
        b, _, h, w = fq.shape
        v = potential_value(fq, fr, self.gamma, self.omega, self.radius)
        e = self.encode(self.embed(v)) + sinusoid_2d(self.dim, h, w, y_first=True).to(fq.device)
        q, k, values = self.to_q(fq).flatten(2), self.to_k(fq).flatten(2), e.flatten(2)
        out, step = [], max(1, ATTENTION_CHUNK // (h * w) ** 2)
        drawn = generator_on(fq.device, generator) if self.training and self.dropkey > 0 else None
        for i in range(0, b, step):  # the (HW)^2 global attention of a few samples at a time
            logits = torch.einsum("bci,bcj->bij", q[i:i + step], k[i:i + step]) / math.sqrt(self.dim)
            if drawn is not None:  # drawn where the logits are: about 400M numbers a step at paper size
                drop = torch.rand(logits.shape, generator=drawn, device=logits.device) < self.dropkey
                drop.diagonal(dim1=1, dim2=2).fill_(False)  # no row loses every key
                logits.masked_fill_(drop, float("-inf"))
            out.append(torch.einsum("bij,bcj->bci", torch.softmax(logits, dim=-1), values[i:i + step]))
        out = torch.cat(out).reshape(b, self.dim, h, w)
        return torch.sigmoid(self.head(out + e)), v
