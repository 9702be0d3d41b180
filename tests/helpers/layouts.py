"""Tiny dataset folders in each benchmark's layout, built by the tests themselves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image

from vidcorr.datasets.masks import write_label

H, W = 12, 16


def frame(path: Path, value: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((H, W, 3), value, np.uint8)).save(path)


def two_objects() -> np.ndarray:
    ids = np.zeros((H, W), np.uint8)
    ids[2:6, 3:8] = 1
    ids[7:10, 9:14] = 2
    return ids


def make_davis(root: Path, masks: list | None = None, split: str = "val") -> Path:
    """One sequence `seq`; masks (PIL images saved as they are, or id arrays written as indexed
    PNGs) default to three two-object masks."""
    if masks is None:
        masks = [two_objects() for _ in range(3)]
    for i, mask in enumerate(masks):
        frame(root / "JPEGImages/480p/seq" / f"{i:05d}.jpg")
        path = root / "Annotations/480p/seq" / f"{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(mask, np.ndarray):
            write_label(path, mask)
        else:
            mask.save(path)
    (root / "ImageSets/2017").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets/2017" / f"{split}.txt").write_text("seq\n")
    return root


def make_ytvos(root: Path, split: str = "valid") -> Path:
    """Video `vid1`: object 1 labelled at frame 00000, object 2 enters at 00010 (index 2)."""
    base = root / split
    for i in (0, 5, 10, 15):
        frame(base / "JPEGImages/vid1" / f"{i:05d}.jpg")
    first, later = np.zeros((H, W), np.uint8), np.zeros((H, W), np.uint8)
    first[1:4, 1:4] = 1
    later[6:9, 6:9] = 2
    write_label(base / "Annotations/vid1/00000.png", first)
    write_label(base / "Annotations/vid1/00010.png", later)
    meta = {"videos": {"vid1": {"objects": {"1": {"category": "cat", "frames": ["00000", "00005"]},
                                            "2": {"category": "dog", "frames": ["00010", "00015"]}}}}}
    (base / "meta.json").write_text(json.dumps(meta))
    return root


def make_vip(root: Path) -> tuple[Path, np.ndarray]:
    """Videos `videos1`, `videos2` with part labels; the val list names videos2 first."""
    parts = (np.arange(H * W, dtype=np.uint8).reshape(H, W) % 20).astype(np.uint8)
    for name in ("videos1", "videos2"):
        for i in range(3):
            frame(root / "Images" / name / f"{i:012d}.jpg")
            write_label(root / "Category_ids" / name / f"{i:012d}.png", parts)
    (root / "lists").mkdir(parents=True, exist_ok=True)
    (root / "lists/val_id.txt").write_text("videos2/000000000000\nvideos2/000000000001\nvideos1\n")
    return root, parts


def make_jhmdb(root: Path) -> tuple[Path, np.ndarray]:
    """Action `run` with clip_a (train) and clip_b (test), 4 frames and 15 joints each."""
    pos = np.random.default_rng(0).uniform(0, W, size=(2, 15, 4))
    for video in ("clip_a", "clip_b"):
        for t in range(4):
            frame(root / "Rename_Images/run" / video / f"{t + 1:05d}.png")
        (root / "joint_positions/run" / video).mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(root / "joint_positions/run" / video / "joint_positions.mat", {"pos_img": pos})
    (root / "splits").mkdir(parents=True, exist_ok=True)
    (root / "splits/run_test_split1.txt").write_text("clip_a.avi 1\nclip_b.avi 2\n")
    return root, pos
