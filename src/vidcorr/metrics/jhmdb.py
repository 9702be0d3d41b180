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

from ..datasets.base import DatasetReader
from .davis import PredictionError
from .tables import sibling, write_csv


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


def evaluate_jhmdb(reader: DatasetReader, results: str | os.PathLike) -> JHMDBScores:
    results = Path(results)
    per_sequence = {}
    for seq in reader:
        path = results / seq.name / "keypoints.npy"
        if not path.is_file():
            raise PredictionError(f"sequence {seq.name}: prediction {path} is missing")
        try:
            pred = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            raise PredictionError(f"sequence {seq.name}: prediction {path} is damaged or not a NumPy array "
                                  f"({' '.join(str(e).split())[:200]}); propagate the dataset again") from e
        if not isinstance(pred, np.ndarray) or pred.dtype.kind != "f":
            raise PredictionError(f"sequence {seq.name}: prediction {path} holds no float keypoints; propagate again")
        if pred.shape != seq.keypoints.shape:
            raise PredictionError(f"sequence {seq.name}: prediction {path} has shape {pred.shape}, "
                                  f"ground truth {seq.keypoints.shape} (frames, joints, xy)")
        bad = np.flatnonzero(~np.isfinite(pred[1:]).all(axis=(1, 2)))
        if bad.size:
            raise PredictionError(f"sequence {seq.name}, frame {seq.frames[bad[0] + 1].stem}: non-finite keypoints")
        per_sequence[seq.name] = normalised_errors(pred[1:], seq.keypoints[1:])
    if not per_sequence:
        raise PredictionError(f"{reader.root}: no sequence to evaluate")
    return JHMDBScores(np.concatenate(list(per_sequence.values())), per_sequence)


ALPHAS = (0.1, 0.2)


def write_jhmdb_tables(scores: JHMDBScores, out: str | os.PathLike) -> str:
    """<out>: a global row (PCK at 0.1 and 0.2, PCK@0.1 per joint); beside it _per_sequence.
    Returns the one-line summary."""
    cols = ["Sequence", *[f"PCK@{a}" for a in ALPHAS], *[f"PCK@0.1-joint{j}" for j in range(scores.distances.shape[1])]]
    row = {"Sequence": "global", **{f"PCK@{a}": scores.pck(a) for a in ALPHAS}}
    row.update({f"PCK@0.1-joint{j}": float(v) for j, v in enumerate(scores.pck_per_joint(0.1))})
    write_csv(out, cols, [row])
    write_csv(sibling(out, "_per_sequence"), ["Sequence", *[f"PCK@{a}" for a in ALPHAS]],
              [{"Sequence": k, **{f"PCK@{a}": scores.pck(a, d) for a in ALPHAS}} for k, d in scores.per_sequence.items()])
    return f"PCK@0.1 {scores.pck(0.1):.4f}  PCK@0.2 {scores.pck(0.2):.4f}"
