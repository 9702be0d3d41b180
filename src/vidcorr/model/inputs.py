"""What an encoder reads: RGB frames turned into the tensor its weights were trained on.

- lab: MAST's and LIIR's Lab (colour.rgb_to_lab), a and b divided by the encoder's ab_scale;
- rgb_imagenet: RGB in [0, 1] less ImageNet's mean, over its std (CRW, VFS: torchvision's
  Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]));
- rgb_dino: the same with the red std 0.228, as DINO's eval_video_segmentation.py writes it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..colour import AB_SCALE, lab_tensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
RGB_STD = {"rgb_imagenet": (0.229, 0.224, 0.225), "rgb_dino": (0.228, 0.224, 0.225)}
INPUTS = ("lab", *RGB_STD)


def input_tensor(rgb: np.ndarray, kind: str, ab_scale: float = AB_SCALE) -> torch.Tensor:
    """(3, H, W) float32 tensor of an (H, W, 3) uint8 RGB frame, as an encoder of input `kind` reads it."""
    if kind == "lab":
        return lab_tensor(rgb, ab_scale)
    if kind in RGB_STD:
        x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).float().div_(255.0)
        mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
        std = torch.tensor(RGB_STD[kind]).view(3, 1, 1)
        return (x - mean) / std
    raise ValueError(f"unknown encoder input {kind!r}; known: {', '.join(INPUTS)}")
