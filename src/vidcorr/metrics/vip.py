"""VIP part propagation: mean IoU over the 20 classes from one confusion matrix over all
evaluated frames (every annotated frame but the given first one); classes that never occur in
ground truth or prediction are NaN and left out of the mean."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets.masks import read_label
from ..datasets.vip import NUM_CLASSES, VIPReader
from .davis import PredictionError


@dataclass
class VIPScores:
    confusion: np.ndarray  # (C, C) rows = ground truth, columns = prediction
    per_sequence: dict[str, float]

    @property
    def per_class(self) -> np.ndarray:
        return iou_per_class(self.confusion)

    @property
    def miou(self) -> float:
        return float(np.nanmean(self.per_class))


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    tp = np.diag(confusion).astype(np.float64)
    denom = confusion.sum(0) + confusion.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, tp / denom, np.nan)


def evaluate_vip(root: str | os.PathLike, split: str, results: str | os.PathLike, num_classes: int = NUM_CLASSES) -> VIPScores:
    reader = VIPReader(root, split)
    results = Path(results)
    total = np.zeros((num_classes, num_classes), np.int64)
    per_sequence = {}
    for seq in reader:
        conf = np.zeros_like(total)
        for t, gt_path in sorted(seq.labels.items()):
            if t == 0:
                continue
            gt = seq.read_label(t)
            pp = results / seq.name / f"{gt_path.stem}.png"
            if not pp.is_file():
                raise PredictionError(f"sequence {seq.name}, frame {gt_path.stem}: prediction {pp} is missing")
            pred = read_label(pp)
            if pred.shape != gt.shape:
                raise PredictionError(f"sequence {seq.name}, frame {gt_path.stem}: prediction {pp} is "
                                      f"{pred.shape[1]}x{pred.shape[0]}, the label is {gt.shape[1]}x{gt.shape[0]}")
            if pred.max() >= num_classes or gt.max() >= num_classes:
                raise PredictionError(f"sequence {seq.name}, frame {gt_path.stem}: class id "
                                      f"{int(max(pred.max(), gt.max()))} is not one of the {num_classes} VIP classes")
            conf += np.bincount(gt.astype(np.int64).ravel() * num_classes + pred.ravel(),
                                minlength=num_classes * num_classes).reshape(num_classes, num_classes)
        total += conf
        per_sequence[seq.name] = float(np.nanmean(iou_per_class(conf))) if conf.any() else float("nan")
    return VIPScores(total, per_sequence)
