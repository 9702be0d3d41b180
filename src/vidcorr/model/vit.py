"""A ViT's last-block patch tokens as a feature map (DINO's eval_video_segmentation.py features).

The transformer is timm's VisionTransformer (an optional dependency: `pip install timm`), whose
keys are DINO's own. Two things follow DINO's code rather than timm's: the position embedding is
resized bicubically by scale factors (rows + 0.1) / 14 and (cols + 0.1) / 14 (DINO's
`interpolate_pos_encoding`; timm resizes to a size, with antialiasing), and the output is the last
block's tokens after the final norm, the class token dropped. Frames are resized so that each side
is a whole number of patches (DINO's test reads 480 x 832 for DAVIS; presets say where we differ).
"""

from __future__ import annotations

import math
from functools import partial

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .inputs import input_tensor


def _timm_vit(patch: int, dim: int, depth: int, heads: int, grid: int) -> nn.Module:
    try:
        from timm.models.vision_transformer import VisionTransformer
    except ImportError as e:
        raise ImportError("ViT checkpoints (DINO) need timm: pip install timm") from e
    vit = VisionTransformer(img_size=grid * patch, patch_size=patch, embed_dim=dim, depth=depth, num_heads=heads,
                            qkv_bias=True, norm_layer=partial(nn.LayerNorm, eps=1e-6), num_classes=0)
    vit.patch_embed.strict_img_size = False  # any whole number of patches
    return vit


class ViTPatches(nn.Module):
    arch = "vit"

    def __init__(self, patch: int = 16, dim: int = 384, depth: int = 12, heads: int = 6, grid: int = 14,
                 input: str = "rgb_dino"):
        super().__init__()
        self.vit = _timm_vit(patch, dim, depth, heads, grid)
        self.patch, self.dim, self.depth, self.heads, self.grid, self.input = patch, dim, depth, heads, grid, input
        self.stride = patch
        self.out_channels = dim

    def config(self) -> dict:
        return {"arch": self.arch, "patch": self.patch, "dim": self.dim, "depth": self.depth, "heads": self.heads,
                "grid": self.grid, "input": self.input}

    @classmethod
    def from_config(cls, cfg: dict) -> "ViTPatches":
        return cls(**{k: cfg[k] for k in ("patch", "dim", "depth", "heads", "grid", "input") if k in cfg})

    def _whole(self, n: int) -> int:
        return max(self.patch, n // self.patch * self.patch)

    def preprocess(self, rgb: np.ndarray) -> torch.Tensor:
        """Resized (bilinearly, as DINO's cv2.resize) to whole patches on each side, then normalised."""
        h, w = rgb.shape[:2]
        if (self._whole(h), self._whole(w)) != (h, w):
            rgb = cv2.resize(rgb, (self._whole(w), self._whole(h)), interpolation=cv2.INTER_LINEAR)
        return input_tensor(rgb, self.input)

    def feature_size(self, height: int, width: int) -> tuple[int, int]:
        return self._whole(height) // self.patch, self._whole(width) // self.patch

    def position(self, rows: int, cols: int) -> torch.Tensor:
        """(1, 1 + rows * cols, dim): the class token's embedding, then the grid's, resized as DINO does."""
        pe = self.vit.pos_embed
        n = int(math.isqrt(pe.shape[1] - 1))
        if rows == cols == n:
            return pe
        grid = pe[:, 1:].reshape(1, n, n, self.dim).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, scale_factor=((rows + 0.1) / n, (cols + 0.1) / n), mode="bicubic")
        return torch.cat([pe[:, :1], grid.permute(0, 2, 3, 1).reshape(1, rows * cols, self.dim)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        rows, cols = h // self.patch, w // self.patch
        v = self.vit
        t = torch.cat([v.cls_token.expand(b, -1, -1), v.patch_embed(x)], dim=1) + self.position(rows, cols)
        t = v.norm(v.blocks(v.pos_drop(t)))
        return t[:, 1:].transpose(1, 2).reshape(b, self.dim, rows, cols)
