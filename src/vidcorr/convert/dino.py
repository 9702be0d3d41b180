"""DINO (Caron et al. 2021, facebookresearch/dino): the ViT-S/16 and ViT-S/8 backbones.

Layout: the released backbone files are flat state dicts (hubconf.py loads them strictly into
vit_small): `cls_token`, `pos_embed` (1, 1 + 14 x 14, 384), `patch_embed.proj`, `blocks.N.*`,
`norm.*`. Full training checkpoints ({'teacher', 'student', ...}) are read too: the teacher's
`backbone.*` (DINO's own loader's default), its `head.*` dropped. The patch size is the patch
embedding's kernel; the width, depth and heads follow from the shapes (heads: 64 channels each).
"""

from __future__ import annotations

import math
import re

from ..model.vit import ViTPatches
from .layout import LayoutError, load_into, tensors

FORMAT = "dino"
PRESET = "dino"


def _backbone(state: dict) -> dict:
    flat = tensors(state, "teacher")
    return {re.sub(r"^backbone\.", "", k): v for k, v in flat.items() if not k.startswith("head.")}


def matches(state: dict) -> bool:
    return "patch_embed.proj.weight" in _backbone(state)


def convert(state: dict) -> ViTPatches:
    weights = _backbone(state)
    if "patch_embed.proj.weight" not in weights or "pos_embed" not in weights:
        raise LayoutError("no patch_embed.proj.weight and pos_embed, a ViT's")
    dim, _, patch, _ = weights["patch_embed.proj.weight"].shape
    depth = 1 + max((int(m.group(1)) for k in weights if (m := re.match(r"blocks\.(\d+)\.", k))), default=-1)
    if depth == 0:
        raise LayoutError("no transformer blocks (blocks.N.*)")
    grid = math.isqrt(weights["pos_embed"].shape[1] - 1)
    encoder = ViTPatches(patch=patch, dim=dim, depth=depth, heads=dim // 64, grid=grid)
    return load_into(encoder, {f"vit.{k}": v for k, v in weights.items()}, FORMAT)
