"""VIP instance-level human parsing AP (AP^r_vol), as the VIP/CIHP evaluator computes it
(HCPLab-SYSU/ATEN evaluate/test_inst_part_ap.py, the protocol behind LIIR Table 3's AP column).

An instance is one part category of one person. For each part category c (1..19, background
excluded) and IoU threshold in 0.1, 0.2, ..., 0.9:
- every predicted instance of class c in a frame takes its largest mask IoU with that frame's
  ground-truth instances of class c; it is a true positive when that IoU is strictly above the
  threshold (no one-to-one assignment: as in the official code, two predictions can hit one truth);
- the predictions of all frames are pooled and sorted by score; recall divides the running true
  positives by the number of ground-truth instances of c over all frames;
- AP is the area under the precision envelope (VOC 2010+, all points).
AP^r_vol is the mean over thresholds of the mean over categories. Categories with no ground-truth
instance anywhere are left out of the mean (the official code divides by zero there).

Evaluated frames are those with ground truth, except the given first frame (as for mIoU).
"""

from __future__ import annotations

import numpy as np

THRESHOLDS = tuple(round(0.1 * k, 1) for k in range(1, 10))


def frame_matches(gt_ids: np.ndarray, gt_table: dict[int, tuple[int, ...]], pred_ids: np.ndarray,
                  pred_table: dict[int, tuple[int, float]]) -> tuple[list, dict[int, int]]:
    """One frame: ([(class, score, best IoU), ...] per predicted instance, class -> ground-truth count).

    gt_table: id -> (category, ...); pred_table: id -> (category, score)."""
    n_gt, n_pred = int(gt_ids.max(initial=0)) + 1, int(pred_ids.max(initial=0)) + 1
    inter = np.bincount(pred_ids.astype(np.int64).ravel() * n_gt + gt_ids.astype(np.int64).ravel(),
                        minlength=n_pred * n_gt).reshape(n_pred, n_gt)
    area_pred, area_gt = inter.sum(1), inter.sum(0)
    truths: dict[int, list[int]] = {}  # category -> its ground-truth ids present in the frame
    for g, (category, *_) in gt_table.items():
        if 0 < g < n_gt and area_gt[g] > 0:
            truths.setdefault(category, []).append(g)
    matches = []
    for p, (category, score) in pred_table.items():
        if not 0 < p < n_pred or area_pred[p] == 0:
            continue  # listed but absent from the map: no pixels, no instance
        ious = [inter[p, g] / (area_pred[p] + area_gt[g] - inter[p, g]) for g in truths.get(category, [])]
        matches.append((category, float(score), max(ious, default=0.0)))
    return matches, {c: len(g) for c, g in truths.items()}


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision envelope (all points)."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def instance_ap(matches: list[tuple[int, float, float]], counts: dict[int, int],
                categories) -> dict[float, dict[int, float]]:
    """Pooled over frames: threshold -> category -> AP of each of `categories` (the part classes
    but background) that has ground truth."""
    out: dict[float, dict[int, float]] = {}
    for thr in THRESHOLDS:
        per_class = {}
        for c in categories:
            if not counts.get(c):
                continue
            mine = [(s, iou) for cat, s, iou in matches if cat == c]
            if not mine:
                per_class[c] = 0.0
                continue
            scores = np.array([s for s, _ in mine])
            hit = np.array([iou > thr for _, iou in mine])[np.argsort(-scores, kind="stable")]
            tp, fp = np.cumsum(hit), np.cumsum(~hit)
            per_class[c] = voc_ap(tp / counts[c], tp / np.maximum(tp + fp, 1))
        out[thr] = per_class
    return out


def ap_by_threshold(per_threshold: dict[float, dict[int, float]]) -> dict[float, float]:
    """Threshold -> mean AP over the categories (NaN where no category has ground truth)."""
    return {t: float(np.mean(list(v.values()))) if v else float("nan") for t, v in per_threshold.items()}


def ap_vol(per_threshold: dict[float, dict[int, float]]) -> float:
    """AP^r_vol: the mean over thresholds of the mean over categories."""
    return float(np.nanmean(list(ap_by_threshold(per_threshold).values()))) if per_threshold else float("nan")
