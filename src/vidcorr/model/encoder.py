"""The MAST-style ResNet-18 encoder: 256 channels at 1/4 of the input resolution.

conv1 (7x7, stride 2) -> BN -> ReLU, no max-pool; layer1 at 1/2; layer2 halves once more (its first
block, the third residual block overall, has stride 2); layer3 keeps 1/4 and widens to 256
channels; layer4 keeps 1/4 and 256 channels (stride 1), as in MAST's and the LIIR port's
ResNet-18: 8 basic blocks in all (`layer4=False` stops after layer3, for ablation).
`head="mast"` adds MAST's and the LIIR port's matching head, a 3x3 post-convolution 256 -> 64 with
bias (MAST's `post_convolution`), and the encoder emits its 64 channels.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from ..lab_scale import AB_SCALE
from .inputs import input_tensor
from .position import PositionEncoding, modulate


def _layer(in_ch: int, out_ch: int, stride: int) -> nn.Sequential:
    down = None
    if stride != 1 or in_ch != out_ch:
        down = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))
    return nn.Sequential(BasicBlock(in_ch, out_ch, stride, down), BasicBlock(out_ch, out_ch))


STRIDE = 4  # input pixels per feature cell; propagation's Lab baseline pools over the same cells


def stride4_size(height: int, width: int) -> tuple[int, int]:
    """Feature-map size of the stride-4 encoder (two stride-2 convolutions, each rounding up)."""
    return math.ceil(math.ceil(height / 2) / 2), math.ceil(math.ceil(width / 2) / 2)


HEAD_CHANNELS = {"none": 256, "mast": 64}  # channels matched on, per head


class ResNet18Stride4(nn.Module):
    arch = "resnet18_stride4"
    stride = STRIDE
    input = "lab"

    def __init__(self, in_channels: int = 3, position: str = "none", position_size: tuple[int, int] = (64, 64),
                 layer4: bool = True, head: str = "none", position_init: str = "normal", ab_scale: float = AB_SCALE,
                 position_resize: str = "bilinear"):
        """position: none, 2dspe, 1dape or 2dape; position_size: the stem's (H/2, W/2) in training;
        head: none (match on the 256 channels) or mast (its 3x3 post-convolution to 64); ab_scale:
        what its Lab input's a and b were divided by (colour.AB_SCALE), kept for inference;
        position_resize: how a learned encoding meets other sizes (bilinear, or bicubic as the LIIR port)."""
        super().__init__()
        if head not in HEAD_CHANNELS:
            raise ValueError(f"encoder head must be one of {', '.join(HEAD_CHANNELS)}, not {head!r}")
        self.position = PositionEncoding(position, 64, position_size, position_init, position_resize)
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

    def config(self) -> dict:
        """What build_encoder needs to rebuild it (stored in checkpoints as `encoder_config`)."""
        return {"arch": self.arch, "position": self.position.kind, "position_size": list(self.position.size),
                "position_resize": self.position.resize, "layer4": not isinstance(self.layer4, nn.Identity),
                "head": "none" if isinstance(self.head, nn.Identity) else "mast", "ab_scale": self.ab_scale}

    @classmethod
    def from_config(cls, cfg: dict) -> "ResNet18Stride4":
        return cls(position=cfg.get("position", "none"), position_size=tuple(cfg.get("position_size", (64, 64))),
                   layer4=cfg.get("layer4", True), head=cfg.get("head", "none"),
                   ab_scale=cfg.get("ab_scale", AB_SCALE), position_resize=cfg.get("position_resize", "bilinear"))

    def preprocess(self, rgb: np.ndarray) -> torch.Tensor:
        """(3, H, W) input of an (H, W, 3) uint8 RGB frame: Lab at this encoder's ab_scale."""
        return input_tensor(rgb, self.input, self.ab_scale)

    @staticmethod
    def feature_size(height: int, width: int) -> tuple[int, int]:
        return stride4_size(height, width)

    def forward(self, x: torch.Tensor, modulation: str = "none", generator: torch.Generator | None = None) -> torch.Tensor:
        """Features (N, 256, H/4, W/4). `modulation` (shift or shuffle) alters the position
        encoding for the inter-video path, with its gradient stopped."""
        x = self.relu(self.bn1(self.conv1(x)))
        pe = self.position(x.shape[-2], x.shape[-1], x.device)
        if pe is not None:
            x = x + (pe if modulation == "none" else modulate(pe, modulation, generator))
        return self.head(self.layer4(self.layer3(self.layer2(self.layer1(x)))))
