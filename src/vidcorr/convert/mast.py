"""MAST (Lai et al. 2020, zlai0/MAST): its released checkpoint.

Layout: {'state_dict': ...} (a DataParallel 'module.' prefix is dropped). The encoder is
`feature_extraction` (MAST's ResNet-18 at stride 4: `conv1.{0,1}` the stem's convolution and BN,
`layerL.B.left.{0,1,3,4}` a block's two convolutions and BNs, `shortcut.{0,1}` its projection) and
the matching head `post_convolution` (3x3, 256 -> 64, with bias). MAST reads Lab normalised by
(50, 127, 127): ab_scale 127. Anything else in the file is dropped.
"""

from __future__ import annotations

from ..model.encoder import ResNet18Stride4
from .layout import load_into, renamed, tensors

FORMAT = "mast"
PRESET = "mast"
KEYS = [  # MAST's names -> ResNet18Stride4(head="mast")'s, applied in order
    (r"^post_convolution\.", "head."),
    (r"^feature_extraction\.conv1\.0\.", "conv1."),
    (r"^feature_extraction\.conv1\.1\.", "bn1."),
    (r"^feature_extraction\.", ""),
    (r"\.left\.0\.", ".conv1."),
    (r"\.left\.1\.", ".bn1."),
    (r"\.left\.3\.", ".conv2."),
    (r"\.left\.4\.", ".bn2."),
    (r"\.shortcut\.", ".downsample."),
]
KEEP = r"^(feature_extraction|post_convolution)\."


def matches(state: dict) -> bool:
    return any(".left.0." in k for k in tensors(state, "state_dict"))


def convert(state: dict) -> ResNet18Stride4:
    weights = renamed(tensors(state, "state_dict"), KEYS, keep=KEEP)
    return load_into(ResNet18Stride4(head="mast", ab_scale=127.0), weights, FORMAT)
