"""CRW (Jabri et al. 2020, ajabri/videowalk): `pretrained.pth`.

Layout (code/train.py's save): {'model': state_dict, 'optimizer', 'lr_scheduler', 'epoch', 'args'
(an argparse.Namespace)}. The backbone is a torchvision ResNet-18 under `encoder.model.`, with
layer3 and layer4 at stride 1 and reflection padding (code/resnet.py `modify`); the test uses
layer3 (code/arguments.py: --remove-layers layer4). Dropped: layer4 and the `selfsim_fc` head. Old
files wrapped convolutions as Sequential(pad, conv): `conv1.1.weight` is read as `conv1.weight`,
as code/test.py does.
"""

from __future__ import annotations

from ..model.resnet_trunk import ResNetTrunk
from .layout import load_into, renamed, tensors

FORMAT = "crw"
PRESET = "crw"
PREFIX = r"^encoder\.model\."


def matches(state: dict) -> bool:
    return any(k.startswith("encoder.model.layer3.") for k in tensors(state, "model"))


def convert(state: dict) -> ResNetTrunk:
    flat = tensors(state, "model")
    weights = renamed(flat, [(PREFIX, ""), (r"(conv[12])\.1\.weight$", r"\1.weight")],
                      keep=PREFIX + r"(conv1|bn1|layer[123])\.")
    return load_into(ResNetTrunk(depth=18, padding="reflect"), weights, FORMAT)
