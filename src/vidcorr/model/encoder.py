"""The MAST-style ResNet-18 encoder: 256 channels at 1/4 of the input resolution.

conv1 (7x7, stride 2) -> BN -> ReLU, no max-pool; layer1 at 1/2; layer2 halves once more (its first
block, the third residual block overall, has stride 2); layer3 keeps 1/4 and widens to 256
channels; layer4 keeps 1/4 and 256 channels (stride 1), as in MAST's and the LIIR port's
ResNet-18: 8 basic blocks in all (`layer4=False` stops after layer3, for ablation).
`head="mast"` adds MAST's and the LIIR port's matching head, a 3x3 post-convolution 256 -> 64 with
bias (MAST's `post_convolution`), and the encoder emits its 64 channels.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from ..colour import AB_SCALE
from .position import PositionEncoding, modulate


def _layer(in_ch: int, out_ch: int, stride: int) -> nn.Sequential:
    down = None
    if stride != 1 or in_ch != out_ch:
        down = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))
    return nn.Sequential(BasicBlock(in_ch, out_ch, stride, down), BasicBlock(out_ch, out_ch))


STRIDE = 4  # input pixels per feature cell; propagation's Lab baseline pools over the same cells


HEAD_CHANNELS = {"none": 256, "mast": 64}  # channels matched on, per head


class ResNet18Stride4(nn.Module):
    stride = STRIDE

    def __init__(self, in_channels: int = 3, position: str = "none", position_size: tuple[int, int] = (64, 64),
                 layer4: bool = True, head: str = "none", position_init: str = "normal", ab_scale: float = AB_SCALE):
        """position: none, 2dspe, 1dape or 2dape; position_size: the stem's (H/2, W/2) in training;
        head: none (match on the 256 channels) or mast (its 3x3 post-convolution to 64); ab_scale:
        what its Lab input's a and b were divided by (colour.AB_SCALE), kept for inference."""
        super().__init__()
        if head not in HEAD_CHANNELS:
            raise ValueError(f"encoder head must be one of {', '.join(HEAD_CHANNELS)}, not {head!r}")
        self.position = PositionEncoding(position, 64, position_size, position_init)
        self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = _layer(64, 64, 1)
        self.layer2 = _layer(64, 128, 2)
        self.layer3 = _layer(128, 256, 1)
        self.layer4 = _layer(256, 256, 1) if layer4 else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        self.head = nn.Conv2d(256, 64, 3, 1, 1) if head == "mast" else nn.Identity()  # PyTorch's default init, as MAST's
        self.out_channels = HEAD_CHANNELS[head]
        self.ab_scale = float(ab_scale)

    def forward(self, x: torch.Tensor, modulation: str = "none", generator: torch.Generator | None = None) -> torch.Tensor:
        """Features (N, 256, H/4, W/4). `modulation` (shift or shuffle) alters the position
        encoding for the inter-video path, with its gradient stopped."""
        x = self.relu(self.bn1(self.conv1(x)))
        pe = self.position(x.shape[-2], x.shape[-1], x.device)
        if pe is not None:
            x = x + (pe if modulation == "none" else modulate(pe, modulation, generator))
        return self.head(self.layer4(self.layer3(self.layer2(self.layer1(x)))))
