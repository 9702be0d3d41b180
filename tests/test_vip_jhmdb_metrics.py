"""VIP mIoU and JHMDB PCK on hand-made predictions with known answers, and their error messages."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from conftest import run
from layouts import make_jhmdb, make_vip
from vidcorr.datasets.masks import write_label
from vidcorr.metrics import PredictionError, evaluate_jhmdb, evaluate_vip
from vidcorr.metrics.jhmdb import normalised_errors
from vidcorr.metrics.vip import iou_per_class


def _vip_preds(tmp_path, parts, change=lambda name, i, p: p):
    for name in ("videos1", "videos2"):
        for i in range(3):
            p = change(name, i, parts.copy())
            if p is not None:
                write_label(tmp_path / "pred" / name / f"{i:012d}.png", p)
    return tmp_path / "pred"


def test_vip_perfect_and_half_wrong(tmp_path):
    root, parts = make_vip(tmp_path / "VIP")
    assert evaluate_vip(root, "val", _vip_preds(tmp_path / "a", parts)).miou == 1.0
    # Every class-3 pixel predicted as class 4: IoU(3) = 0, IoU(4) = n4 / (n4 + n3), others 1.
    scores = evaluate_vip(root, "val", _vip_preds(tmp_path / "b", parts, lambda n, i, p: np.where(p == 3, 4, p)))
    n3, n4 = (parts == 3).sum(), (parts == 4).sum()
    expect = np.ones(20)
    expect[3], expect[4] = 0.0, n4 / (n3 + n4)
    np.testing.assert_allclose(scores.per_class, expect)
    assert scores.miou == pytest.approx(expect.mean())


def test_iou_leaves_absent_classes_out():
    conf = np.zeros((3, 3), np.int64)
    conf[0, 0], conf[1, 1], conf[1, 0] = 5, 3, 1
    iou = iou_per_class(conf)
    assert np.isnan(iou[2]) and iou[1] == 0.75 and iou[0] == 5 / 6


@pytest.mark.parametrize("change, message", [
    (lambda n, i, p: None if (n, i) == ("videos1", 1) else p, r"sequence videos1, frame 000000000001: prediction .* is missing"),
    (lambda n, i, p: p[:5], r"sequence videos2, frame 000000000001: prediction .* is 16x5"),
    (lambda n, i, p: np.where(p == 3, 25, p), r"class id 25 is not one of the 20 VIP classes"),
])
def test_vip_bad_predictions(tmp_path, change, message):
    root, parts = make_vip(tmp_path / "VIP")
    with pytest.raises(PredictionError, match=message):
        evaluate_vip(root, "val", _vip_preds(tmp_path, parts, change))


def test_pck_normalises_by_the_joint_box():
    gt = np.zeros((1, 3, 2))
    gt[0, :, 0] = [0, 30, 0]
    gt[0, :, 1] = [0, 0, 40]  # box 30 x 40, diagonal 50, person size 30
    pred = gt.copy()
    pred[0, 0] += [3, 0]  # 0.1 of the person size
    pred[0, 1] += [0, 9]  # 0.3
    np.testing.assert_allclose(normalised_errors(pred, gt), [[0.1, 0.3, 0.0]])


def test_jhmdb_pck_and_cli(tmp_path):
    root, pos = make_jhmdb(tmp_path / "JHMDB")
    gt = pos.transpose(2, 1, 0) - 1  # (T, J, 2), 0-based
    pred = gt.copy()
    size = 0.6 * np.linalg.norm(gt.max(1) - gt.min(1), axis=-1)  # per frame
    pred[:, :5, 0] += 0.15 * size[:, None]  # joints 0-4 off by 0.15: fail @0.1, pass @0.2
    pred[0] = gt[0] + 100  # the first frame is not evaluated
    out = tmp_path / "pred/run/clip_b"
    out.mkdir(parents=True)
    np.save(out / "keypoints.npy", pred)
    scores = evaluate_jhmdb(root, 1, tmp_path / "pred")
    assert scores.pck(0.1) == pytest.approx(10 / 15) and scores.pck(0.2) == 1.0
    run(["vidcorr", "evaluate", "jhmdb", "--root", str(root), "--split", "1", "--results", str(tmp_path / "pred"),
         "--out", str(tmp_path / "pck.csv")])
    row = next(csv.DictReader(open(tmp_path / "pck.csv")))
    assert row["Sequence"] == "global" and float(row["PCK@0.1"]) == pytest.approx(10 / 15)
    np.save(out / "keypoints.npy", pred[:3])
    with pytest.raises(PredictionError, match=r"sequence run/clip_b: prediction .* has shape \(3, 15, 2\)"):
        evaluate_jhmdb(root, 1, tmp_path / "pred")
