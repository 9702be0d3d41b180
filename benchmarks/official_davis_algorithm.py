"""The official davis2017-evaluation algorithm, written plainly (full frames, one object mask stack
per sequence, skimage disk), as the timing baseline for vidcorr's evaluator. Not used by the pipeline."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage.morphology import disk


def _bmap(seg):
    seg = seg.astype(bool)
    e, s, se = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = seg ^ e | seg ^ s | seg ^ se
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = 0
    return b


def _f(gt, fg, th=0.008):
    r = math.ceil(th * np.linalg.norm(fg.shape))
    fb, gb = _bmap(fg), _bmap(gt)
    fd = cv2.dilate(fb.astype(np.uint8), disk(r).astype(np.uint8))
    gd = cv2.dilate(gb.astype(np.uint8), disk(r).astype(np.uint8))
    nf, ng = fb.sum(), gb.sum()
    if nf == 0 and ng > 0:
        p, rc = 1, 0
    elif nf > 0 and ng == 0:
        p, rc = 0, 1
    elif nf == 0 and ng == 0:
        p, rc = 1, 1
    else:
        p, rc = np.sum(fb * gd) / float(nf), np.sum(gb * fd) / float(ng)
    return 0 if p + rc == 0 else 2 * p * rc / (p + rc)


def _stats(v):
    ids = (np.round(np.linspace(1, len(v), 5) + 1e-10) - 1).astype(np.uint8)
    bins = [v[ids[i]: ids[i + 1] + 1] for i in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.nanmean(v), np.nanmean(v > 0.5), np.nanmean(bins[0]) - np.nanmean(bins[3])


def _stack(paths, n=None):
    m = np.stack([np.array(Image.open(p)) for p in paths]).astype(np.float64)
    m[m == 255] = 0
    n = int(m[0].max()) if n is None else n
    return (np.arange(1, n + 1)[:, None, None, None] == m[None]), n


def evaluate(root, split, results):
    root, results = Path(root), Path(results)
    J, F = {}, {}
    for seq in (root / "ImageSets/2017" / f"{split}.txt").read_text().split():
        gt_paths = sorted((root / "Annotations/480p" / seq).glob("*.png"))
        gt, n = _stack(gt_paths)
        gt = gt[:, 1:-1]
        res = np.stack([np.array(Image.open(results / seq / p.name)) for p in gt_paths[1:-1]])
        m = int(res.max())
        res = np.arange(1, max(m, n) + 1)[:, None, None, None] == res[None]
        for k in range(n):
            inter = (gt[k] & res[k]).sum(axis=(1, 2))
            union = (gt[k] | res[k]).sum(axis=(1, 2))
            j = np.where(union == 0, 1.0, inter / np.maximum(union, 1))
            f = np.array([_f(gt[k, t], res[k, t]) for t in range(gt.shape[1])])
            J[f"{seq}_{k + 1}"], F[f"{seq}_{k + 1}"] = _stats(j), _stats(f)
    jm = np.mean([v[0] for v in J.values()])
    fm = np.mean([v[0] for v in F.values()])
    return {"J&F-Mean": (jm + fm) / 2, "J-Mean": jm, "F-Mean": fm}
