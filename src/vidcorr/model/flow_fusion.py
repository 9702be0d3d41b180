"""MER's flow channel fusion (Eq. 5): O_t = I_t + alpha * F_t, before the encoder.

Eq. 5 leaves the form of the flow map F_t open. Chosen here (config keys `flow_alpha`,
`flow_max`): three channels (u, v, |flow|) divided by `flow_max` pixels and clipped to [-1, 1],
the same range as the Lab channels they are added to; alpha is one learnable scalar. Inference
runs without flow, which is the alpha * 0 case of the same equation.
"""

from __future__ import annotations

import torch
from torch import nn


def flow_map(flow: torch.Tensor, flow_max: float) -> torch.Tensor:
    """(N, 2, H, W) flow in pixels -> (N, 3, H, W) map of (u, v, magnitude) in [-1, 1]."""
    mag = flow.norm(dim=1, keepdim=True)
    return (torch.cat([flow, mag], dim=1) / flow_max).clamp(-1.0, 1.0)


class FlowFusion(nn.Module):
    def __init__(self, alpha: float = 0.1, flow_max: float = 20.0):
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor(float(alpha)))
        self.flow_max = flow_max

    def forward(self, frames: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        """frames (N, 3, H, W) in Lab, flow (N, 2, H, W) in pixels of those frames."""
        return frames + self.alpha * flow_map(flow, self.flow_max)
