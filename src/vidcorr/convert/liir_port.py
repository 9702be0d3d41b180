"""LIIR (Li et al. 2022) through its public port (shasha521/LIIR_pytorch): APE_669.pt,
APE_compact_690.pt, APE_intervideo_699.pt, APE_compact_intervideo_722.pt.

Layout: {'state_dict': ...} (a 'module.' prefix is dropped). `feature_extraction` is a
torchvision-named ResNet-18 at stride 4 (already ours) with `pos_embed1` (1, 64, 128, 128), added
after the stem and resized bicubically to other sizes (models/resnet.py); `post_convolution` is
the 3x3 matching head, as MAST's. The momentum encoder, projection heads and queues are dropped.
Lab as MAST's: ab_scale 127.
"""

from __future__ import annotations

from ..model.encoder import ResNet18Stride4
from .layout import LayoutError, load_into, renamed, tensors

FORMAT = "liir-port"
PRESET = "liir"
KEYS = [
    (r"^post_convolution\.", "head."),
    (r"^feature_extraction\.pos_embed1$", "position.full"),
    (r"^feature_extraction\.", ""),
]
KEEP = r"^(feature_extraction|post_convolution)\."


def matches(state: dict) -> bool:
    return "feature_extraction.pos_embed1" in tensors(state, "state_dict")


def convert(state: dict) -> ResNet18Stride4:
    weights = renamed(tensors(state, "state_dict"), KEYS, keep=KEEP)
    pe = weights.get("position.full")
    if pe is None:
        raise LayoutError("no feature_extraction.pos_embed1, the port's position encoding")
    encoder = ResNet18Stride4(position="1dape", position_size=tuple(pe.shape[-2:]), head="mast", ab_scale=127.0,
                              position_resize="bicubic")
    return load_into(encoder, weights, FORMAT)
