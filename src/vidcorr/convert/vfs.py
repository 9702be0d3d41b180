"""VFS (Xu and Wang 2021, xvjiarui/VFS): the DAVIS release files (R18, R50).

The released files are torchvision-named (tools/convert_weights/convert_to_pretrained.py writes
{'state_dict': torchvision keys, 'meta': {}}; tools/test.py loads them by those names). The raw
mmcv training checkpoints ({'meta', 'state_dict', 'optimizer'}: `backbone.conv1.conv`,
`backbone.layerX.Y.convN.bn`, `downsample.conv/bn`, and the `img_head.*` projection) are read too,
renamed as that script does. The test uses layer3 at stride 1 (configs/*_nc_*.py test_cfg:
strides (1, 2, 1, 1), out_indices (2,)) with zero padding; layer4 is dropped.
"""

from __future__ import annotations

from ..model.resnet_trunk import ResNetTrunk
from .layout import load_into, renamed, tensors

FORMAT = "vfs"
PRESET = "vfs"
MMCV = [  # the raw training layout -> torchvision's (convert_to_pretrained.py's mapping)
    (r"^backbone\.", ""),
    (r"^conv1\.conv\.", "conv1."),
    (r"^conv1\.bn\.", "bn1."),
    (r"\.(conv\d)\.conv\.", r".\1."),
    (r"\.conv(\d)\.bn\.", r".bn\1."),
    (r"\.downsample\.conv\.", ".downsample.0."),
    (r"\.downsample\.bn\.", ".downsample.1."),
]
KEEP = r"^(backbone\.)?(conv1|bn1|layer[123])\."


def matches(state: dict) -> bool:
    flat = tensors(state, "state_dict")
    return "layer3.0.conv1.weight" in flat or "backbone.layer3.0.conv1.conv.weight" in flat


def convert(state: dict) -> ResNetTrunk:
    weights = renamed(tensors(state, "state_dict"), MMCV, keep=KEEP)
    depth = 50 if "layer1.0.conv3.weight" in weights else 18
    return load_into(ResNetTrunk(depth=depth, padding="zeros"), weights, FORMAT)
