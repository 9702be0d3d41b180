"""A torchvision ResNet-18 or -50 cut after layer3, at stride 8: the backbone of CRW and VFS.

Both keep the stem (7x7 stride-2 convolution, max-pool) and layer2's stride 2, run layer3 at
stride 1 and match on its output (256 channels for ResNet-18, 1024 for ResNet-50); layer4 is not
used at test time and is not built. CRW (ajabri/videowalk, code/resnet.py `modify`) also pads
every padded convolution by reflection; VFS (xvjiarui/VFS) keeps zero padding. Both read RGB
normalised by ImageNet's mean and std (model/inputs.py).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torchvision.models import resnet18, resnet50

from .encoder import stride4_size
from .inputs import input_tensor

DEPTHS = {18: resnet18, 50: resnet50}
PADDINGS = ("zeros", "reflect")


class ResNetTrunk(nn.Module):
    arch = "resnet_trunk"
    stride = 8
    input = "rgb_imagenet"

    def __init__(self, depth: int = 18, padding: str = "zeros"):
        super().__init__()
        if depth not in DEPTHS:
            raise ValueError(f"ResNet trunk depth must be one of {sorted(DEPTHS)}, not {depth!r}")
        if padding not in PADDINGS:
            raise ValueError(f"ResNet trunk padding must be one of {PADDINGS}, not {padding!r}")
        net = DEPTHS[depth](weights=None)
        for m in net.layer3.modules():  # layer3 at stride 1, its shortcut included
            if isinstance(m, nn.Conv2d):
                m.stride = (1, 1)
        if padding == "reflect":
            for m in net.modules():
                if isinstance(m, nn.Conv2d) and any(p > 0 for p in m.padding):
                    m.padding_mode = "reflect"
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3 = net.layer1, net.layer2, net.layer3
        self.depth, self.padding = depth, padding
        self.out_channels = 256 if depth == 18 else 1024

    def config(self) -> dict:
        return {"arch": self.arch, "depth": self.depth, "padding": self.padding}

    @classmethod
    def from_config(cls, cfg: dict) -> "ResNetTrunk":
        return cls(depth=cfg.get("depth", 18), padding=cfg.get("padding", "zeros"))

    def preprocess(self, rgb: np.ndarray) -> torch.Tensor:
        return input_tensor(rgb, self.input)

    @staticmethod
    def feature_size(height: int, width: int) -> tuple[int, int]:
        """Three stride-2 steps (stem convolution, max-pool, layer2), each rounding up: the stride-4
        size (the same two steps as ResNet18Stride4's) halved once more."""
        return tuple(-(-n // 2) for n in stride4_size(height, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer3(self.layer2(self.layer1(x)))
