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

The training loop runs the network without gradient: a map that weights the loss it is trained
by would learn to lower that loss by moving weight onto easy pixels, not onto the objects. Its
parameters therefore keep their seeded initialisation, and the map still follows training
through its inputs, the encoder's features (Eq. 6's V and the attention's queries and keys).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .position import sinusoid_2d
from .windows import local_windows


def potential_value(fq: torch.Tensor, fr: torch.Tensor, gamma: float, omega: float, radius: int) -> torch.Tensor:
    """Eq. 6 on L2-normalised (B, D, h, w) features: (B, 1, h, w), over each pixel's window."""
    b, d, h, w = fq.shape
    q, r = fq.flatten(2), fr.flatten(2)
    win = local_windows(h, w, radius, device=fq.device)
    sim = torch.matmul(win.gather_queries(q), win.gather_keys(r).transpose(-1, -2))  # (B, n, Tq, Tk)
    inside = win.distance <= radius
    m = win.scatter(torch.where((sim > gamma) & inside, sim, torch.zeros_like(sim)).sum(-1))  # (B, HW)
    count = win.scatter(inside.sum(-1)[None]).to(sim)
    self_sim = (q * q).sum(1)  # 1 for normalised features
    self_m = torch.where(self_sim > gamma, self_sim, torch.zeros_like(self_sim))
    return ((m - omega * self_m) / count).reshape(b, 1, h, w)


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
        for i in range(0, b, step):  # the (HW)^2 global attention of a few samples at a time
            logits = torch.einsum("bci,bcj->bij", q[i:i + step], k[i:i + step]) / math.sqrt(self.dim)
            if self.training and self.dropkey > 0:
                drop = torch.rand(logits.shape, generator=generator).to(logits.device) < self.dropkey
                drop.diagonal(dim1=1, dim2=2).fill_(False)  # no row loses every key
                logits.masked_fill_(drop, float("-inf"))
            out.append(torch.einsum("bij,bcj->bci", torch.softmax(logits, dim=-1), values[i:i + step]))
        out = torch.cat(out).reshape(b, self.dim, h, w)
        return torch.sigmoid(self.head(out + e)), v
