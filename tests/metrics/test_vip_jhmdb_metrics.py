"""VIP mIoU and JHMDB PCK on hand-made predictions with known answers, and their error messages."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from helpers import index, run
from vidcorr.datasets import open_dataset
from helpers.layouts import make_jhmdb, make_vip
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
    assert evaluate_vip(open_dataset("vip", root, split="val"), _vip_preds(tmp_path / "a", parts)).miou == 1.0
    # Every class-3 pixel predicted as class 4: IoU(3) = 0, IoU(4) = n4 / (n4 + n3), others 1.
    scores = evaluate_vip(open_dataset("vip", root, split="val"), _vip_preds(tmp_path / "b", parts, lambda n, i, p: np.where(p == 3, 4, p)))
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
        evaluate_vip(open_dataset("vip", root, split="val"), _vip_preds(tmp_path, parts, change))


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
    scores = evaluate_jhmdb(open_dataset("jhmdb", root, split=1), tmp_path / "pred")
    assert scores.pck(0.1) == pytest.approx(10 / 15) and scores.pck(0.2) == 1.0
    run(["vidcorr", "evaluate", "--index", index(tmp_path / "j.json", "jhmdb", root, split=1),
         "--results", str(tmp_path / "pred"), "--out", str(tmp_path / "pck.csv")])
    row = next(csv.DictReader(open(tmp_path / "pck.csv")))
    assert row["Sequence"] == "global" and float(row["PCK@0.1"]) == pytest.approx(10 / 15)
    np.save(out / "keypoints.npy", pred[:3])
    with pytest.raises(PredictionError, match=r"sequence run/clip_b: prediction .* has shape \(3, 15, 2\)"):
        evaluate_jhmdb(open_dataset("jhmdb", root, split=1), tmp_path / "pred")


def _instances(png, ids, lines):
    write_label(png, ids)
    png.with_suffix(".txt").write_text("".join(f"{line}\n" for line in lines))


def test_vip_instance_ap_on_hand_made_masks(tmp_path):
    """One evaluated frame. Class 1 has two people: p1 (score 0.9) covers half of g1's 4 pixels
    (IoU 0.5 exactly), p2 (0.8) is g2, p3 (0.7) hits nothing; class 2's only instance is missed.
    Class 1 at thresholds 0.1-0.4: TP, TP, FP -> AP 1; at 0.5-0.9 (IoU must exceed the
    threshold): FP, TP, FP -> recall 0.5 at precision 0.5 -> AP 0.25. Class 2: AP 0. So AP^r_vol =
    mean over thresholds of mean over classes = (4 * 1 + 5 * 0.25) / 9 / 2."""
    from helpers.layouts import H, W

    root, parts = make_vip(tmp_path / "VIP")
    gt = np.zeros((H, W), np.uint8)
    gt[0:2, 0:2] = 1    # g1: class 1, person 1
    gt[5:7, 5:8] = 21   # g2: class 1, person 2
    gt[10:12, 0:3] = 2  # g3: class 2, person 1
    pred = np.zeros((H, W), np.uint8)
    pred[0, 0:2] = 1    # p1: 2 of g1's 4 pixels
    pred[5:7, 5:8] = 21
    pred[3, 10:14] = 41  # p3: class 1 where nothing is
    empty = np.zeros((H, W), np.uint8)
    for name in ("videos1", "videos2"):
        _instances(root / "Instance_ids" / name / f"{0:012d}.png", gt, ["1 1 1", "21 1 2", "2 2 1"])
        t1 = (gt, ["1 1 1", "21 1 2", "2 2 1"]) if name == "videos1" else (empty, [])
        _instances(root / "Instance_ids" / name / f"{1:012d}.png", *t1)
        p1 = (pred, ["1 1 0.9", "21 1 0.8", "41 1 0.7"]) if name == "videos1" else (empty, [])
        _instances(tmp_path / "pred" / name / "instances" / f"{1:012d}.png", *p1)
    preds = _vip_preds(tmp_path, parts)
    scores = evaluate_vip(open_dataset("vip", root, split="val"), preds)
    assert scores.instance_ap[0.4] == {1: 1.0, 2: 0.0} and scores.instance_ap[0.5] == {1: 0.25, 2: 0.0}
    assert scores.ap == pytest.approx((4 * 1 + 5 * 0.25) / 9 / 2)
    out = tmp_path / "vip.csv"
    run(["vidcorr", "evaluate", "--index", index(tmp_path / "v.json", "vip", root), "--results", str(preds),
         "--out", str(out)])
    row = next(csv.DictReader(open(out)))
    assert float(row["AP"]) == pytest.approx(scores.ap) and float(row["AP@0.5"]) == pytest.approx(0.125)
    # a missing instance prediction names the file
    (tmp_path / "pred/videos1/instances" / f"{1:012d}.txt").unlink()
    with pytest.raises(PredictionError, match=f"{1:012d}.txt is missing"):
        evaluate_vip(open_dataset("vip", root, split="val"), preds)


def test_vip_instances_propagate_with_the_parts(tmp_path):
    """Copy-first on the synthetic benchmark: frame 0's instances and categories come back with scores."""
    from vidcorr.synthetic import generate_benchmark

    generate_benchmark(tmp_path / "syn", num_sequences=1, num_frames=4, width=64, height=48, num_objects=2)
    vip = tmp_path / "syn/VIP"
    data = index(tmp_path / "vip.json", "vip", vip)
    run(["vidcorr", "propagate", "--index", data, "--checkpoint", "copy-first", "--out", str(tmp_path / "p")])
    got = (tmp_path / "p/synth00/instances/00003.txt").read_text().split("\n")
    first = (vip / "Instance_ids/synth00/00000.txt").read_text().split("\n")
    assert [g.split()[:2] for g in got if g] == [f.split()[:2] for f in first if f]
    assert all(float(g.split()[2]) == 1.0 for g in got if g)  # copy-first carries one-hot labels
    run(["vidcorr", "evaluate", "--index", data, "--results", str(tmp_path / "p"), "--out", str(tmp_path / "m.csv")])
    assert 0 < float(next(csv.DictReader(open(tmp_path / "m.csv")))["AP"]) < 1
