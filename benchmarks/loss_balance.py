"""Which loss term the encoder learns from: gradient norms of reconstruction and compactness on the
encoder's parameters, for today's recipe and the one before it, as Markdown.

    python benchmarks/loss_balance.py [--pairs 8] [--crops 64 128]

Pairs: frame t and t+2 of the first `--pairs` DAVIS-2016 train20 sequences (../shared/data, or
$VIDCORR_SHARED_DATA), each resized to the crop. One randomly initialised encoder (seed 0) is
shared by both recipes; the compactness prior has the training defaults (k 3, sigma 1.5, weight
0.01). Recipes:
- before: the reconstruction at feature resolution against the pooled target, plain smooth L1,
  any Lab channel dropped;
- now (vidcorr.train): upsampled to the crop, smooth L1 of both sides x20, a or b dropped, the
  kept input x3/2.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidcorr.colour import lab_tensor
from vidcorr.datasets import open_dataset
from vidcorr.model import ResNet18Stride4
from vidcorr.train.config import TrainConfig
from vidcorr.train.lab_dropout import drop_channel
from vidcorr.train.loop import term_gradient_norms
from vidcorr.train.reconstruction import reconstruction_losses


def _pairs(n: int, crop: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    root = Path(os.environ.get("VIDCORR_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared/data"))
    reader = open_dataset("davis", root / "davis2016-train20", split="train", year=2016)
    out = []
    for name in reader.names()[:n]:
        seq = reader.sequence(name)
        q, r = (lab_tensor(cv2.resize(seq.read_frame(t), (crop, crop), interpolation=cv2.INTER_AREA)) for t in (2, 0))
        out.append((q, r))
    return out


def _norms(model, q, r, channel: int, recipe: str, cfg: TrainConfig) -> dict[str, float]:
    q, r = q[None], r[None]
    c = torch.tensor([channel])
    if recipe == "before":
        qi, ri = q.clone(), r.clone()
        qi[:, channel], ri[:, channel] = 0, 0
    else:
        qi, ri = drop_channel(q, c), drop_channel(r, c)
    fq, fr = (F.normalize(model(x), dim=1) for x in (qi, ri))
    size = fq.shape[-2:]
    values = F.adaptive_avg_pool2d(r, size)[:, channel:channel + 1]
    target = F.adaptive_avg_pool2d(q, size)[:, channel:channel + 1] if recipe == "before" else q[:, channel:channel + 1]
    losses = reconstruction_losses(fq, fr, values, target, radius=cfg.radius, temperature=cfg.temperature,
                                   compactness=cfg.compactness_prior())
    rec = F.smooth_l1_loss(losses.prediction, target) if recipe == "before" else losses.reconstruction
    norms = term_gradient_norms({"reconstruction": rec, "compactness": losses.compactness}, list(model.parameters()))
    return {**norms, "reconstruction": float(rec.detach()), "compactness": float(losses.compactness.detach())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--crops", type=int, nargs="+", default=[64, 128])
    args = ap.parse_args()
    torch.manual_seed(0)
    model = ResNet18Stride4()
    cfg = TrainConfig()
    print("| crop | recipe | reconstruction loss | compactness loss | grad reconstruction | grad compactness "
          "| compactness / reconstruction |")
    print("|---|---|---|---|---|---|---|")
    for crop in args.crops:
        pairs = _pairs(args.pairs, crop)
        for recipe, channels in (("before", (0, 1, 2)), ("now", (1, 2))):
            rows = [_norms(model, q, r, c, recipe, cfg) for q, r in pairs for c in channels]
            m = {k: float(np.mean([x[k] for x in rows])) for k in rows[0]}
            ratio = np.mean([x["grad_compactness"] / x["grad_reconstruction"] for x in rows])
            print(f"| {crop} | {recipe} | {m['reconstruction']:.2e} | {m['compactness']:.2e} "
                  f"| {m['grad_reconstruction']:.2e} | {m['grad_compactness']:.2e} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
