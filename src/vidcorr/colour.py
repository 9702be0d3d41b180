"""RGB frames to the normalised Lab tensors the encoder reads (MAST/LIIR reconstruct in Lab)."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from .lab_scale import AB_SCALE

# Lab from OpenCV's float path: L in [0, 100], a and b roughly in [-110, 110] (sRGB's gamut).
LAB_SHIFT = np.array([50.0, 0.0, 0.0], np.float32)


def rgb_to_lab(rgb: np.ndarray, ab_scale: float = AB_SCALE) -> np.ndarray:
    """(H, W, 3) uint8 RGB to (H, W, 3) float32 Lab: L to [-1, 1], a and b divided by ab_scale."""
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return (lab - LAB_SHIFT) / np.array([50.0, ab_scale, ab_scale], np.float32)


def lab_tensor(rgb: np.ndarray, ab_scale: float = AB_SCALE) -> torch.Tensor:
    """(3, H, W) float32 tensor of the scaled Lab image."""
    return torch.from_numpy(np.ascontiguousarray(rgb_to_lab(rgb, ab_scale).transpose(2, 0, 1)))
