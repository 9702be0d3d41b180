"""RGB frames to the normalised Lab tensors the encoder reads (MAST/LIIR reconstruct in Lab)."""

from __future__ import annotations

import cv2
import numpy as np
import torch

# Lab from OpenCV's float path: L in [0, 100], a and b roughly in [-110, 110].
LAB_SHIFT = np.array([50.0, 0.0, 0.0], np.float32)
LAB_SCALE = np.array([50.0, 110.0, 110.0], np.float32)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB to (H, W, 3) float32 Lab scaled to about [-1, 1] per channel."""
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    return (lab - LAB_SHIFT) / LAB_SCALE


def lab_tensor(rgb: np.ndarray) -> torch.Tensor:
    """(3, H, W) float32 tensor of the scaled Lab image."""
    return torch.from_numpy(np.ascontiguousarray(rgb_to_lab(rgb).transpose(2, 0, 1)))
