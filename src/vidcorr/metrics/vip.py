"""VIP part propagation: mean IoU over the 20 classes from one confusion matrix over all
evaluated frames (every annotated frame but the given first one); classes that never occur in
ground truth or prediction are NaN and left out of the mean. Where the dataset has part instances
(Instance_ids), also the instance-level AP of vip_instances.py over the same frames."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets.masks import read_label
from ..datasets.base import DatasetReader
from ..datasets.vip import instance_table, read_instances
from .davis import PredictionError
from .tables import sibling, write_csv
from .vip_instances import ap_by_threshold, ap_vol, frame_matches, instance_ap


@dataclass
class VIPScores:
    confusion: np.ndarray  # (C, C) rows = ground truth, columns = prediction
    per_sequence: dict[str, float]
    instance_ap: dict[float, dict[int, float]] | None = None  # IoU threshold -> category -> AP

    @property
    def ap(self) -> float | None:
        """AP^r_vol, or None when the dataset has no part instances."""
        return None if self.instance_ap is None else ap_vol(self.instance_ap)

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


def evaluate_vip(reader: DatasetReader, results: str | os.PathLike) -> VIPScores:
    """Part mIoU over every labelled frame but the first, and AP^r_vol where the dataset has part
    instances."""
    num_classes = reader.num_classes
    results = Path(results)
    total = np.zeros((num_classes, num_classes), np.int64)
    per_sequence = {}
    matches, counts = [], {}
    for seq in reader:
        for t, gt_path in sorted(seq.instances.items()):
            if t == 0:
                continue
            gt_ids, gt_table = read_instances(gt_path)
            pred_ids, pred_table = read_predicted_instances(results / seq.name / "instances" / f"{gt_path.stem}.png",
                                                            gt_ids.shape)
            m, c = frame_matches(gt_ids, gt_table, pred_ids, pred_table)
            matches += m
            for k, v in c.items():
                counts[k] = counts.get(k, 0) + v
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
    ap = instance_ap(matches, counts, range(1, num_classes)) if reader.instances is not None else None
    return VIPScores(total, per_sequence, ap)


def read_predicted_instances(png: Path, shape: tuple[int, int]) -> tuple[np.ndarray, dict[int, tuple[int, float]]]:
    """A propagated part-instance map and its `id category score` lines."""
    txt = png.with_suffix(".txt")
    for p in (png, txt):
        if not p.is_file():
            raise PredictionError(f"part-instance prediction {p} is missing (propagate with a dataset that has Instance_ids)")
    ids = read_label(png)
    if ids.shape != shape:
        raise PredictionError(f"part-instance prediction {png} is {ids.shape[1]}x{ids.shape[0]}, "
                              f"the ground truth is {shape[1]}x{shape[0]}")
    try:
        return ids, instance_table(txt, float, "id category score")
    except ValueError as e:
        raise PredictionError(f"{txt}: {e}") from None


def write_vip_tables(scores: VIPScores, out: str | os.PathLike) -> str:
    """<out>: a global row (mIoU, AP and AP per threshold where scored, IoU per class); beside it
    _per_sequence. Returns the one-line summary."""
    cols = ["Sequence", "mIoU", *[f"IoU-{c}" for c in range(scores.confusion.shape[0])]]
    row = {"Sequence": "global", "mIoU": scores.miou}
    row.update({f"IoU-{c}": float(v) for c, v in enumerate(scores.per_class)})
    if scores.instance_ap is not None:  # AP^r_vol, then AP at each IoU threshold
        by_threshold = ap_by_threshold(scores.instance_ap)
        cols[2:2] = ["AP", *[f"AP@{t}" for t in by_threshold]]
        row.update({"AP": scores.ap, **{f"AP@{t}": v for t, v in by_threshold.items()}})
    write_csv(out, cols, [row])
    write_csv(sibling(out, "_per_sequence"), ["Sequence", "mIoU"],
              [{"Sequence": k, "mIoU": v} for k, v in scores.per_sequence.items()])
    return f"mIoU {scores.miou:.4f}" + ("" if scores.ap is None else f"  AP {scores.ap:.4f}")
