"""End-point error of each flow backend against the generated benchmark's exact flow.

The error is measured on what training would read back: the backend's flow after the storage
round trip (quantisation), next to the error before storage, over all pixels of every pair.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..synthetic.render import forward_flow
from ..synthetic.scene import Scene
from .compute import make_backend
from .config import FlowConfig
from .store import dequantise, quantise

COLUMNS = ["backend", "model", "gap", "sequence", "pairs", "epe", "epe_before_storage", "outliers_3px", "epe_zero_flow"]


def _scenes(root: Path) -> list[Scene]:
    files = sorted((root / "Scenes").glob("*.json"))
    if not files:
        raise FileNotFoundError(f"{root / 'Scenes'} holds no scene JSON: point at a generated benchmark (vidcorr synth)")
    return [Scene.from_json(f.read_text()) for f in files]


def _frames(root: Path, name: str, n: int) -> list[np.ndarray]:
    paths = [root / "JPEGImages" / "480p" / name / f"{t:05d}.jpg" for t in range(n)]
    for p in paths:
        if not p.is_file():
            raise FileNotFoundError(f"frame {p} of the generated benchmark is missing; regenerate it")
    return [np.asarray(Image.open(p).convert("RGB")) for p in paths]


def _epe(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a - b) ** 2).sum(axis=0))


def flow_epe(root: str | os.PathLike, configs: list[FlowConfig], progress: bool = True) -> list[dict]:
    """One row per (backend, gap, sequence) plus an `all` row per (backend, gap), pixel-weighted."""
    root = Path(root)
    scenes = _scenes(root)
    rows = []
    for cfg in configs:
        backend = make_backend(cfg)
        scale = 1.0 / cfg.steps_per_pixel if cfg.dtype == "int16" else 1.0  # as the stored files hold it
        for gap in cfg.gaps:
            stored_all, raw_all, zero_all, pairs_all = [], [], [], 0
            for scene in tqdm(scenes, desc=f"epe {cfg.backend}:{cfg.model} gap {gap}", disable=not progress):
                frames = _frames(root, scene.name, scene.num_frames)
                ts = list(range(scene.num_frames - gap))
                flows = backend([frames[t] for t in ts], [frames[t + gap] for t in ts])
                stored, raw, zero = [], [], []
                for t, f in zip(ts, flows):
                    gt = forward_flow(scene, t, gap).transpose(2, 0, 1)
                    q, _ = quantise(f, cfg.dtype, cfg.steps_per_pixel)
                    stored.append(_epe(dequantise(q, scale), gt))
                    raw.append(_epe(f, gt))
                    zero.append(_epe(np.zeros_like(gt), gt))
                stored, raw, zero = np.stack(stored), np.stack(raw), np.stack(zero)
                rows.append(_row(cfg, gap, scene.name, len(ts), stored, raw, zero))
                stored_all.append(stored.ravel())
                raw_all.append(raw.ravel())
                zero_all.append(zero.ravel())
                pairs_all += len(ts)
            rows.append(_row(cfg, gap, "all", pairs_all, *map(np.concatenate, (stored_all, raw_all, zero_all))))
    return rows


def _row(cfg: FlowConfig, gap: int, sequence: str, pairs: int, stored, raw, zero) -> dict:
    """`epe_zero_flow` is the error of guessing no motion: the mean true motion, for scale."""
    return {"backend": cfg.backend, "model": cfg.model, "gap": gap, "sequence": sequence, "pairs": pairs,
            "epe": float(stored.mean()), "epe_before_storage": float(raw.mean()),
            "outliers_3px": float((stored > 3.0).mean()), "epe_zero_flow": float(zero.mean())}


def write_flow_epe(root: str | os.PathLike, configs: list[FlowConfig], out: str | os.PathLike) -> list[dict]:
    """flow_epe's rows as the CSV results/flow/<dataset>/epe.csv (COLUMNS)."""
    from ..metrics.tables import write_csv

    rows = flow_epe(root, configs)
    write_csv(out, COLUMNS, rows)
    return rows
