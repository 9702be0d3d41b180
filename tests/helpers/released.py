"""Released checkpoints' key layouts, written out as tables of names and shapes (from the anchors'
code: MAST's models/submodule.py, the LIIR port's models/resnet.py, CRW's code/model.py, VFS's
convert_to_pretrained.py, DINO's vision_transformer.py), and files in those layouts with random
weights, as each method's own training or release script would save them."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def _bn(prefix: str, c: int) -> list[tuple[str, tuple]]:
    return [(f"{prefix}.weight", (c,)), (f"{prefix}.bias", (c,)), (f"{prefix}.running_mean", (c,)),
            (f"{prefix}.running_var", (c,)), (f"{prefix}.num_batches_tracked", ())]


def torchvision_resnet18(prefix: str = "", channels=(64, 128, 256, 512)) -> list[tuple[str, tuple]]:
    """conv1, bn1, layer1-4 of torchvision's BasicBlock ResNet-18 (layer4 at `channels[3]`)."""
    keys = [(f"{prefix}conv1.weight", (64, 3, 7, 7)), *_bn(f"{prefix}bn1", 64)]
    cin = 64
    for layer, c in enumerate(channels, 1):
        for b in range(2):
            p = f"{prefix}layer{layer}.{b}"
            keys += [(f"{p}.conv1.weight", (c, cin if b == 0 else c, 3, 3)), *_bn(f"{p}.bn1", c),
                     (f"{p}.conv2.weight", (c, c, 3, 3)), *_bn(f"{p}.bn2", c)]
            if b == 0 and cin != c:
                keys += [(f"{p}.downsample.0.weight", (c, cin, 1, 1)), *_bn(f"{p}.downsample.1", c)]
        cin = c
    return keys


def mast_layout() -> list[tuple[str, tuple]]:
    """MAST's ResNet18(3) (layer widths 64, 128, 256, 256; `left`/`shortcut` Sequentials) + post_convolution."""
    keys = [("feature_extraction.conv1.0.weight", (64, 3, 7, 7)), *_bn("feature_extraction.conv1.1", 64)]
    cin = 64
    for layer, c in enumerate((64, 128, 256, 256), 1):
        for b in range(2):
            p = f"feature_extraction.layer{layer}.{b}"
            keys += [(f"{p}.left.0.weight", (c, cin if b == 0 else c, 3, 3)), *_bn(f"{p}.left.1", c),
                     (f"{p}.left.3.weight", (c, c, 3, 3)), *_bn(f"{p}.left.4", c)]
            if b == 0 and cin != c:
                keys += [(f"{p}.shortcut.0.weight", (c, cin, 1, 1)), *_bn(f"{p}.shortcut.1", c)]
        cin = c
    return keys + [("post_convolution.weight", (64, 256, 3, 3)), ("post_convolution.bias", (64,))]


def port_layout() -> list[tuple[str, tuple]]:
    """The LIIR port's momentum model: its torchvision-named encoder with pos_embed1, the head, and what is dropped."""
    return [*torchvision_resnet18("feature_extraction.", (64, 128, 256, 256)),
            ("feature_extraction.pos_embed1", (1, 64, 128, 128)),
            ("post_convolution.weight", (64, 256, 3, 3)), ("post_convolution.bias", (64,)),
            ("conv_semantic.weight", (128, 256, 1, 1)), ("conv_semantic_k.weight", (128, 256, 1, 1)),
            ("colorizer.feats_queue", (12, 128, 32, 32)), ("colorizer.flag", (1,))]


def dino_layout(patch: int = 16, depth: int = 2, dim: int = 384, grid: int = 14) -> list[tuple[str, tuple]]:
    """A DINO ViT backbone (vit_small: dim 384, 6 heads; `depth` blocks, 12 in the release)."""
    keys = [("cls_token", (1, 1, dim)), ("pos_embed", (1, 1 + grid * grid, dim)),
            ("patch_embed.proj.weight", (dim, 3, patch, patch)), ("patch_embed.proj.bias", (dim,))]
    for i in range(depth):
        p = f"blocks.{i}"
        keys += [(f"{p}.norm1.weight", (dim,)), (f"{p}.norm1.bias", (dim,)),
                 (f"{p}.attn.qkv.weight", (3 * dim, dim)), (f"{p}.attn.qkv.bias", (3 * dim,)),
                 (f"{p}.attn.proj.weight", (dim, dim)), (f"{p}.attn.proj.bias", (dim,)),
                 (f"{p}.norm2.weight", (dim,)), (f"{p}.norm2.bias", (dim,)),
                 (f"{p}.mlp.fc1.weight", (4 * dim, dim)), (f"{p}.mlp.fc1.bias", (4 * dim,)),
                 (f"{p}.mlp.fc2.weight", (dim, 4 * dim)), (f"{p}.mlp.fc2.bias", (dim,))]
    return keys + [("norm.weight", (dim,)), ("norm.bias", (dim,))]


def weights(layout: list[tuple[str, tuple]], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random tensors of the layout: small weights, BN variances near 1, batch counts as integers."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in layout:
        if name.endswith("num_batches_tracked"):
            out[name] = torch.tensor(100)
        elif name.endswith("running_var"):
            out[name] = torch.rand(shape, generator=g) + 0.5
        else:
            out[name] = torch.randn(shape, generator=g) * 0.05
    return out


def released_file(fmt: str, path: Path, seed: int = 0) -> Path:
    """A file of format `fmt` as its method saves it (the release layout of issue 29's table)."""
    if fmt == "mast":
        state = {"epoch": 10, "state_dict": weights(mast_layout(), seed), "optimizer": {}}
    elif fmt == "liir-port":
        state = {"epoch": 10, "state_dict": weights(port_layout(), seed)}
    elif fmt == "crw":
        model = {f"encoder.model.{k}": v for k, v in weights(torchvision_resnet18(), seed).items()}
        model.update({"selfsim_fc.0.weight": torch.zeros(128, 512), "selfsim_fc.0.bias": torch.zeros(128)})
        state = {"model": model, "optimizer": {}, "lr_scheduler": {}, "epoch": 10,
                 "args": argparse.Namespace(model_type="scratch", remove_layers=[], temperature=0.05)}
    elif fmt == "vfs":
        state = {"state_dict": weights(torchvision_resnet18(), seed), "meta": {}}
    elif fmt == "dino":
        state = weights(dino_layout(), seed)
    else:
        raise ValueError(fmt)
    torch.save(state, path)
    return path


FORMATS = ("mast", "liir-port", "crw", "vfs", "dino")
EXPECTED = {  # format -> (arch, input, stride, channels)
    "mast": ("resnet18_stride4", "lab", 4, 64),
    "liir-port": ("resnet18_stride4", "lab", 4, 64),
    "crw": ("resnet_trunk", "rgb_imagenet", 8, 256),
    "vfs": ("resnet_trunk", "rgb_imagenet", 8, 256),
    "dino": ("vit", "rgb_dino", 16, 384),
}
