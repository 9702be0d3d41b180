"""MER's weight map on a few training pairs of a trained stage: what L_w weighted, and why.

One row per pair, drawn as the stage drew it (the checkpoint's settings and seed, epoch 0's first
samples, flip and crop included): the reference and the query frame, the query's flow (when the
stage reads flow), Eq. 6's potential value V, the VEN's target (when it has one) and the map W
itself, each map on its own [0, 1] range. W is the network's output in evaluation mode (no DropKey),
before L_w's normalisation and beta blend.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..colour import LAB_SHIFT
from ..model import read_checkpoint
from ..model.ven import potential_value, value_target
from .flow_colour import flow_colours
from .overlay import tile, write_rows_png

SHOWN = 128  # pixels
COLUMNS = ("reference", "query", "query flow", "V (Eq. 6)", "VEN target", "W")


def _rgb(lab: torch.Tensor, ab_scale: float) -> np.ndarray:
    """(3, H, W) scaled Lab tensor -> (H, W, 3) uint8 RGB."""
    lab = lab.permute(1, 2, 0).numpy() * np.array([50.0, ab_scale, ab_scale], np.float32) + LAB_SHIFT
    return (np.clip(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB), 0, 1) * 255).round().astype(np.uint8)


def _heat(m: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """(h, w) map -> (H, W, 3) uint8 in the viridis colour map, min-max scaled."""
    m = m.float()
    m = (m - m.min()) / (m.max() - m.min()).clamp_min(1e-6)
    grey = cv2.resize((m.numpy() * 255).round().astype(np.uint8), size[::-1], interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(cv2.applyColorMap(grey, cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)


@torch.no_grad()
def weight_map_figure(checkpoint: str | os.PathLike, indexes: list, out: str | os.PathLike,
                      flow: list | None = None, pairs: int = 4) -> list[str]:
    """Draw `pairs` training pairs of the MER stage saved in `checkpoint` into `out` (PNG); returns
    the columns drawn. Refuses a stage without the weight-map loss (it has no W to show)."""
    from ..train.config import TrainConfig
    from ..device import policy
    from ..train.loop import Ranks, build, pair_data

    state = read_checkpoint(Path(checkpoint))
    cfg = TrainConfig.from_dict(state["config"])
    if not cfg.loss_weight_map:
        raise ValueError(f"{checkpoint}: its stage ({cfg.stage}) trains without MER's weight-map loss, so there is "
                         "no weight map to draw")
    parts = build(cfg, pair_data(cfg, indexes, flow), None, Ranks(0, 1, cfg.batch_size, policy("cpu")))
    parts.model.load_state_dict(state["encoder"])
    parts.heads.load_state_dict(state["heads"])
    parts.model.eval()
    parts.heads.eval()
    parts.data.set_epoch(0)
    samples = [parts.data[i] for i in range(min(pairs, len(parts.data)))]
    batch = {k: torch.stack([torch.as_tensor(s[k]) for s in samples]) for k in samples[0]}
    q, r = batch["query"], batch["reference"]
    qi, ri = q, r
    if parts.fusion is not None:
        qi, ri = parts.fusion(torch.cat([q, r]), torch.cat([batch["query_flow"], batch["reference_flow"]])).chunk(2)
    fq, fr = F.normalize(parts.model(qi), dim=1), F.normalize(parts.model(ri), dim=1)
    if parts.ven is not None:
        weights, v = parts.ven(fq, fr)
    else:
        v = potential_value(fq, fr, cfg.ven_gamma, cfg.ven_omega, cfg.radius)
        weights = v
    flows = batch.get("query_flow")
    target = value_target(cfg.ven_target, v, flows) if parts.ven is not None and cfg.ven_target != "frozen" else None
    size = tuple(q.shape[-2:])
    columns = [c for c in COLUMNS if not (c == "query flow" and flows is None) and not (c == "VEN target" and target is None)]
    colours = flow_colours([f.numpy() for f in flows]) if flows is not None else None
    rows = []
    for i in range(q.shape[0]):
        cells = {"reference": _rgb(r[i], cfg.ab_scale), "query": _rgb(q[i], cfg.ab_scale),
                 "V (Eq. 6)": _heat(v[i, 0], size), "W": _heat(weights[i, 0], size)}
        if colours is not None:
            cells["query flow"] = colours[i]
        if target is not None:
            cells["VEN target"] = _heat(target[i, 0], size)
        row = tile([[cells[c] for c in columns]])
        zoom = max(1, -(-SHOWN // size[0]))  # small training crops drawn at least SHOWN pixels tall
        rows.append(cv2.resize(row, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST))
    write_rows_png([_header(columns, rows[0].shape[1]), *rows], out)
    return columns


def _header(columns: list[str], width: int) -> np.ndarray:
    """A white strip naming the columns above the rows."""
    strip = np.full((28, width, 3), 255, np.uint8)
    cell = width / len(columns)
    for j, name in enumerate(columns):
        cv2.putText(strip, name, (int(j * cell) + 4, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return strip
