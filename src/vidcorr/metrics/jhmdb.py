"""JHMDB keypoint propagation: PCK@alpha as in the standard protocol (TimeCycle / UVC / CRW).

For every frame but the first, each joint's error is its distance to ground truth divided by the
person's size, 0.6 x the diagonal of the box around that frame's ground-truth joints; PCK@alpha
is the share of errors <= alpha, computed per joint and then averaged over joints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets.jhmdb import JHMDBReader
from .davis import PredictionError


@dataclass
class JHMDBScores:
    distances: np.ndarray  # (N, J) normalised errors over all evaluated frames
    per_sequence: dict[str, np.ndarray]  # name -> (T-1, J)

    def pck(self, alpha: float, distances: np.ndarray | None = None) -> float:
        d = self.distances if distances is None else distances
        return float(np.mean(np.mean(d <= alpha, axis=0)))

    def pck_per_joint(self, alpha: float) -> np.ndarray:
        return np.mean(self.distances <= alpha, axis=0)


def normalised_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T, J, 2) tracks -> (T, J) errors over 0.6 x the diagonal of each frame's joint box."""
    size = 0.6 * np.linalg.norm(gt.max(axis=1) - gt.min(axis=1), axis=-1)
    return np.linalg.norm(pred - gt, axis=-1) / size[:, None]


def evaluate_jhmdb(root: str | os.PathLike, split: int, results: str | os.PathLike, subset: str = "test") -> JHMDBScores:
    reader = JHMDBReader(root, split=split, subset=subset)
    results = Path(results)
    per_sequence = {}
    for seq in reader:
        path = results / seq.name / "keypoints.npy"
        if not path.is_file():
            raise PredictionError(f"sequence {seq.name}: prediction {path} is missing")
        pred = np.load(path)
        if pred.shape != seq.keypoints.shape:
            raise PredictionError(f"sequence {seq.name}: prediction {path} has shape {pred.shape}, "
                                  f"ground truth {seq.keypoints.shape} (frames, joints, xy)")
        bad = np.flatnonzero(~np.isfinite(pred[1:]).all(axis=(1, 2)))
        if bad.size:
            raise PredictionError(f"sequence {seq.name}, frame {seq.frames[bad[0] + 1].stem}: non-finite keypoints")
        per_sequence[seq.name] = normalised_errors(pred[1:], seq.keypoints[1:])
    if not per_sequence:
        raise PredictionError(f"{root}: no sequence to evaluate in split {split} ({subset})")
    return JHMDBScores(np.concatenate(list(per_sequence.values())), per_sequence)
