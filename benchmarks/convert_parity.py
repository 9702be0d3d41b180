"""Parity of converted checkpoints with the anchors' own forward passes (`vidcorr convert-checkpoint`).

    python benchmarks/convert_parity.py --mast /tmp/mast --liir-port /tmp/liir --crw /tmp/videowalk \
        --dino /tmp/dino [--seed 0]

For each format the anchor's own model is built from its checkout with random weights (BN affine
and running statistics randomised too), saved in the anchor's own checkpoint layout (the keys its
training script writes, with the heads, optimizer and argument objects beside them), converted by
vidcorr.convert and loaded by vidcorr.model.load_encoder. Both then encode the same frame in
float32, eval mode:
- anchor: the anchor's preprocessing of the frame as its test code does it, then its forward pass
  to the features it matches with (L2-normalised where its test normalises);
- ours: vidcorr.inference.NetworkFeatures on the uint8 frame (our preprocessing, our encoder).
Each row prints the largest absolute difference and the magnitude of the anchor's features; a row
passes at 1e-5 of that magnitude. Exit status 0 when every row passes.

VFS's backbone is mmaction's ResNet, which needs mmcv (no wheel for this torch): its rows compare
against torchvision's ResNet with VFS's test strides (1, 2, 1, 1), the layout that VFS's
convert_to_pretrained.py writes and its test loader reads by name; the raw mmcv training layout is
converted too and must give the same features.

Fetch the anchors into a temporary folder, never into this repository.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parity import Row, compare, import_anchor, install_stand_in, randomise_batch_norm, table  # noqa: E402

from vidcorr.colour import lab_tensor  # noqa: E402
from vidcorr.convert import convert_checkpoint  # noqa: E402
from vidcorr.inference.features import NetworkFeatures  # noqa: E402
from vidcorr.model import load_encoder  # noqa: E402
from vidcorr.model.inputs import IMAGENET_MEAN, RGB_STD  # noqa: E402

CPU = torch.device("cpu")


def frame(seed: int, h: int = 96, w: int = 160) -> np.ndarray:
    """A smooth random RGB frame (uint8), so that every layer sees structure and not only noise."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(1, 3, h // 8, w // 8, generator=g)
    return (F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)[0] * 255).round().byte() \
        .permute(1, 2, 0).numpy()


def ours(fmt: str, saved: dict, rgb: np.ndarray, normalize: bool, tmp: Path) -> torch.Tensor:
    src, dst = tmp / f"{fmt}.src.pth", tmp / f"{fmt}.pt"
    torch.save(saved, src)
    convert_checkpoint(fmt, src, dst)
    return NetworkFeatures(load_encoder(dst), CPU, torch.float32, normalize)(rgb)[0]


def imagenet(rgb: np.ndarray, std=RGB_STD["rgb_imagenet"]) -> torch.Tensor:
    x = torchvision.transforms.functional.to_tensor(rgb)  # the anchors' ToTensor: 0-1, CHW
    return torchvision.transforms.functional.normalize(x, IMAGENET_MEAN, std)[None]


def mast_row(root: Path, rgb: np.ndarray, tmp: Path) -> Row:
    (mast_model,) = import_anchor(root, "models.mast")
    net = mast_model.MAST(SimpleNamespace(training=False))
    randomise_batch_norm(net)
    net.eval()
    with torch.no_grad():
        anchor = net.post_convolution(net.feature_extraction(lab_tensor(rgb, 127.0)[None]))[0]
    saved = {"epoch": 1, "state_dict": net.state_dict(), "optimizer": {}}  # MAST's main.py save
    return compare("mast: MAST + post_convolution, raw dot-product features", anchor,
                   ours("mast", saved, rgb, False, tmp))


def port_row(root: Path, rgb: np.ndarray, tmp: Path) -> Row:
    (port_model,) = import_anchor(root, "models.mast_momen")
    net = port_model.MAST(SimpleNamespace(training=False, compact=True, bsize=2, factor=1, enc_mo=0.999))
    randomise_batch_norm(net)
    net.feature_extraction.pos_embed1.data.normal_(0, 0.5)  # trained, not zero; resized bicubically to the stem
    net.eval()
    with torch.no_grad():
        anchor = net.post_convolution(net.feature_extraction(lab_tensor(rgb, 127.0)[None], ape=True))[0]
    saved = {"epoch": 1, "state_dict": net.state_dict()}  # the port's save, heads and queues included
    return compare("liir-port: resnet18 + pos_embed1 128x128 (bicubic) + post_convolution", anchor,
                   ours("liir-port", saved, rgb, False, tmp))


def crw_row(root: Path, rgb: np.ndarray, tmp: Path) -> Row:
    (resnet,) = import_anchor(root / "code", "resnet")
    net = resnet.resnet18()
    with contextlib.redirect_stdout(io.StringIO()):  # modify() prints every layer it changes
        net.modify(padding="reflect")  # utils.make_encoder
    randomise_batch_norm(net)
    state = {f"encoder.model.{k}": v for k, v in net.state_dict().items()}
    state.update({"selfsim_fc.0.weight": torch.randn(128, 512), "selfsim_fc.0.bias": torch.zeros(128)})
    saved = {"model": state, "optimizer": {}, "lr_scheduler": {}, "epoch": 1,
             "args": argparse.Namespace(model_type="scratch", remove_layers=[])}  # train.py's save
    with contextlib.redirect_stdout(io.StringIO()):
        net.modify(remove_layers=["layer4"])  # test.py: --remove-layers layer4
    net.eval()
    with torch.no_grad():
        anchor = F.normalize(net(imagenet(rgb)), dim=1)[0]
    return compare("crw: ResNet-18 layer3, stride 8, reflection padding, L2-normalised", anchor,
                   ours("crw", saved, rgb, True, tmp))


def vfs_rows(rgb: np.ndarray, tmp: Path) -> list[Row]:
    rows = []
    for depth, build in ((18, torchvision.models.resnet18), (50, torchvision.models.resnet50)):
        net = build(weights=None)
        randomise_batch_norm(net)
        tv = {k: v for k, v in net.state_dict().items() if not k.startswith("fc.")}
        for layer in (net.layer3, net.layer4):  # test_cfg strides (1, 2, 1, 1)
            for m in layer.modules():
                if isinstance(m, torch.nn.Conv2d):
                    m.stride = (1, 1)
        net.eval()
        with torch.no_grad():
            x = imagenet(rgb)
            x = net.layer3(net.layer2(net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(x)))))))
            anchor = F.normalize(x, dim=1)[0]
        name = f"vfs: ResNet-{depth} layer3, stride 8"
        rows.append(compare(name + " (torchvision-named release file)", anchor,
                            ours("vfs", {"state_dict": tv, "meta": {}}, rgb, True, tmp)))
        rows.append(compare(name + " (raw mmcv training layout)", anchor,
                            ours("vfs", {"meta": {}, "state_dict": mmcv_layout(tv), "optimizer": {}}, rgb, True, tmp)))
    return rows


def mmcv_layout(tv: dict) -> dict:
    """torchvision names -> VFS's mmaction/mmcv training names (ConvModule: conv + bn), with its head."""
    out = {}
    for k, v in tv.items():
        parts = k.split(".")
        if parts[0] in ("conv1", "bn1"):
            k = f"backbone.conv1.{'conv' if parts[0] == 'conv1' else 'bn'}." + ".".join(parts[1:])
        elif parts[2].startswith("conv"):
            k = f"backbone.{parts[0]}.{parts[1]}.{parts[2]}.conv." + ".".join(parts[3:])
        elif parts[2].startswith("bn"):
            k = f"backbone.{parts[0]}.{parts[1]}.conv{parts[2][2:]}.bn." + ".".join(parts[3:])
        else:  # downsample.0 / .1
            k = f"backbone.{parts[0]}.{parts[1]}.downsample.{'conv' if parts[3] == '0' else 'bn'}." + ".".join(parts[4:])
        out[k] = v
    out["img_head.projection_fcs.0.weight"] = torch.randn(512, 256)
    out["iteration"] = torch.tensor(1.0)
    return out


def dino_rows(root: Path, rgb_sizes: list[np.ndarray], tmp: Path) -> list[Row]:
    (vits,) = import_anchor(root, "vision_transformer")
    rows = []
    for patch in (16, 8):
        torch.manual_seed(patch)
        net = vits.vit_small(patch_size=patch, num_classes=0)
        for p in net.parameters():  # DINO's init leaves the position embedding and class token near 0
            p.data.add_(torch.randn_like(p) * 0.02)
        net.eval()
        saved = net.state_dict()  # hubconf.py: a flat backbone state dict
        for rgb in rgb_sizes:
            h, w = rgb.shape[:2]
            with torch.no_grad():
                x = imagenet(rgb, RGB_STD["rgb_dino"])
                out = net.get_intermediate_layers(x, n=1)[0][:, 1:]
                anchor = F.normalize(out[0].t().reshape(-1, h // patch, w // patch), dim=0)
            rows.append(compare(f"dino: ViT-S/{patch}, last block's patch tokens at {h}x{w}", anchor,
                                ours("dino", saved, rgb, True, tmp)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mast", type=Path, required=True, help="checkout of zlai0/MAST")
    ap.add_argument("--liir-port", type=Path, required=True, help="checkout of shasha521/LIIR_pytorch")
    ap.add_argument("--crw", type=Path, required=True, help="checkout of ajabri/videowalk")
    ap.add_argument("--dino", type=Path, required=True, help="checkout of facebookresearch/dino")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    install_stand_in()
    torch.manual_seed(args.seed)
    rgb = frame(args.seed)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows = [mast_row(args.mast, rgb, tmp), port_row(args.liir_port, rgb, tmp), crw_row(args.crw, rgb, tmp),
                *vfs_rows(rgb, tmp), *dino_rows(args.dino, [frame(args.seed, 224, 224), frame(args.seed, 96, 160)], tmp)]
    print(table(rows))
    print("\nTolerance: max abs diff <= 1e-05 x magnitude (float32).")
    print("VFS: against torchvision's ResNet with VFS's test strides (mmaction needs mmcv; see the docstring).")
    sys.exit(0 if all(r.passed for r in rows) else 1)


if __name__ == "__main__":
    main()
