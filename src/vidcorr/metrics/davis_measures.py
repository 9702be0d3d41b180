"""Per-frame J (region IoU) and F (boundary F-measure), and the mean/recall/decay statistics.

These follow davis2017-evaluation exactly, including its quirks: the boundary map marks a pixel
when it differs from its east, south or south-east neighbour (so it sits just outside an
object's top and left edges), the matching tolerance is a disk of radius
ceil(0.008 * image diagonal), an empty mask against an empty mask scores 1, and the decay bins
are computed with uint8 indices. Work is done on the crop that holds both masks (plus one pixel):
every boundary pixel lies inside it, so the numbers equal the full-frame ones.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import cv2
import numpy as np

BOUND_TH = 0.008


@lru_cache(maxsize=8)
def disk_rectangles(radius: int) -> tuple[np.ndarray, ...]:
    """Rectangles whose union is the disk x^2 + y^2 <= r^2 (skimage.morphology.disk).

    Dilation distributes over union, and OpenCV dilates by rectangles much faster than by an
    arbitrary kernel, so dilating by each rectangle and OR-ing gives the disk dilation exactly.
    """
    half_widths = [math.isqrt(radius * radius - dy * dy) for dy in range(radius + 1)]
    rects = []
    for dy, w in enumerate(half_widths):
        if dy == radius or half_widths[dy + 1] < w:
            rects.append(np.ones((2 * dy + 1, 2 * w + 1), np.uint8))
    return tuple(rects)


def dilate_disk(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation of a uint8 0/1 mask by the disk of this radius."""
    rects = disk_rectangles(radius)
    out = cv2.dilate(mask, rects[0])
    for rect in rects[1:]:
        cv2.bitwise_or(out, cv2.dilate(mask, rect), dst=out)
    return out


def boundary_radius(shape: tuple[int, int], bound_th: float = BOUND_TH) -> int:
    """Matching tolerance in pixels for an image of this (H, W)."""
    return int(bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(*shape)))


def boundary_map(seg: np.ndarray) -> np.ndarray:
    """Boolean boundary map of a binary mask, as the official _seg2bmap builds it: a pixel differs
    from its east, south or south-east neighbour; the last row compares east only, the last
    column south only, and the corner is never a boundary."""
    seg = seg.astype(bool, copy=False)
    b = np.zeros_like(seg)
    c = seg[:-1, :-1]
    b[:-1, :-1] = (c ^ seg[:-1, 1:]) | (c ^ seg[1:, :-1]) | (c ^ seg[1:, 1:])
    b[-1, :-1] = seg[-1, :-1] ^ seg[-1, 1:]
    b[:-1, -1] = seg[:-1, -1] ^ seg[1:, -1]
    return b


def region_j(gt: np.ndarray, pred: np.ndarray) -> float:
    """Intersection over union of two boolean masks; 1 when both are empty."""
    union = np.count_nonzero(gt | pred)
    if union == 0:
        return 1.0
    return np.count_nonzero(gt & pred) / union


def boundary_f(gt: np.ndarray, pred: np.ndarray, radius: int) -> float:
    """Boundary F-measure of two boolean masks with matching tolerance `radius` pixels."""
    fg_b = boundary_map(pred)
    gt_b = boundary_map(gt)
    n_fg = np.count_nonzero(fg_b)
    n_gt = np.count_nonzero(gt_b)
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        fg_dil = dilate_disk(fg_b.view(np.uint8), radius)
        gt_dil = dilate_disk(gt_b.view(np.uint8), radius)
        precision = np.count_nonzero(fg_b & (gt_dil > 0)) / float(n_fg)
        recall = np.count_nonzero(gt_b & (fg_dil > 0)) / float(n_gt)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def crop_box(gt_ids: np.ndarray, pred_ids: np.ndarray) -> tuple[slice, slice] | None:
    """Bounding box of all labelled pixels of either map, grown by one pixel; None if both are empty."""
    boxes = [cv2.boundingRect(a) for a in (gt_ids, pred_ids)]
    boxes = [(x, y, x + w, y + h) for x, y, w, h in boxes if w > 0]
    if not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    h, w = gt_ids.shape
    return slice(max(y0 - 1, 0), min(y1 + 1, h)), slice(max(x0 - 1, 0), min(x1 + 1, w))


def statistics(values: np.ndarray) -> tuple[float, float, float]:
    """Mean, recall (fraction > 0.5) and decay (first quarter minus last quarter) of per-frame scores."""
    values = np.asarray(values, dtype=np.float64)
    mean = np.nanmean(values)
    recall = np.nanmean(values > 0.5)
    # uint8 indices as in the official code (it wraps for sequences longer than 255 frames).
    ids = (np.round(np.linspace(1, len(values), 5) + 1e-10) - 1).astype(np.uint8)
    bins = [values[ids[i]: ids[i + 1] + 1] for i in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        decay = np.nanmean(bins[0]) - np.nanmean(bins[3])
    return float(mean), float(recall), float(decay)
