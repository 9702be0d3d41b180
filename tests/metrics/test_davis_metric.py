"""DAVIS J&F reproduces the official davis2017-evaluation numbers, and refuses bad predictions."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from helpers import index, run, shared
from vidcorr.datasets import open_dataset
from helpers.layouts import make_davis, two_objects
from vidcorr.datasets.masks import write_label
from vidcorr.metrics import PredictionError, evaluate_davis
from vidcorr.metrics.davis_measures import boundary_map, dilate_disk, disk_rectangles, statistics

REFERENCES = [("train20", "davis2016-train20", "train"), ("multiobj", "reference/multiobj", "val")]


@pytest.mark.parametrize("name, root, split", REFERENCES)
def test_reproduces_the_official_numbers(name, root, split):
    ref = json.loads(shared("reference", name, "official.json").read_text())
    reader = open_dataset("davis", shared(*root.split("/")), split=split, require_frames=False)
    scores = evaluate_davis(reader, shared("reference", name, "predictions"), workers=2)
    for key, value in scores.global_scores.items():
        assert value == pytest.approx(ref[key], abs=1e-6), key
    assert set(scores.per_object) == set(ref["per_object"])
    for obj, values in ref["per_object"].items():
        for key, value in values.items():
            assert scores.per_object[obj][key] == pytest.approx(value, abs=1e-6), (obj, key)


def test_cli_writes_the_documented_csv(tmp_path):
    out = tmp_path / "davis.csv"
    data = index(tmp_path / "multiobj.json", "davis", shared("reference", "multiobj"), split="val", require_frames=False)
    run(["vidcorr", "evaluate", "--index", data, "--results", str(shared("reference", "multiobj", "predictions")),
         "--out", str(out)])
    rows = list(csv.reader(open(out)))
    assert rows[0] == ["Sequence", "J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"]
    assert rows[1][0] == "global" and [r[0] for r in rows[2:4]] == ["bear_1", "bear_2"]
    ref = json.loads(shared("reference", "multiobj", "official.json").read_text())
    assert float(rows[1][1]) == pytest.approx(ref["J&F-Mean"], abs=1e-12)
    assert all(0 <= float(v) <= 1 for r in rows[1:] for v in (r[1], r[2], r[3], r[5], r[6]))
    assert (tmp_path / "davis_per_sequence.csv").exists() and (tmp_path / "davis_per_frame.csv").exists()


def test_disk_rectangles_dilate_like_the_disk():
    import cv2
    from skimage.morphology import disk

    rng = np.random.default_rng(0)
    for r in range(1, 16):
        m = (rng.random((50, 61)) < 0.02).astype(np.uint8)
        expect = cv2.dilate(m, disk(r).astype(np.uint8))
        np.testing.assert_array_equal(dilate_disk(m, r), expect)
        assert sum(k.sum() for k in disk_rectangles(r)) >= disk(r).sum()


def test_boundary_map_matches_the_official_definition():
    seg = np.zeros((5, 6), bool)
    seg[1:3, 2:4] = True
    b = boundary_map(seg)
    # Marked: the object's pixels on its bottom/right edge and the pixels just above/left of it.
    expect = np.zeros_like(seg)
    expect[0, 1:4] = True
    expect[1:3, 1] = True
    expect[1, 3] = expect[2, 2] = expect[2, 3] = True
    np.testing.assert_array_equal(b, expect)


def test_statistics_decay_uses_four_bins():
    values = np.array([1.0] * 5 + [0.0] * 5)
    mean, recall, decay = statistics(values)
    assert mean == 0.5 and recall == 0.5
    assert decay == pytest.approx(1.0)


def _preds(tmp_path, root, change=None):
    out = tmp_path / "preds" / "seq"
    out.mkdir(parents=True)
    for i in range(3):
        ids = two_objects()
        if change:
            ids = change(i, ids)
        if ids is not None:
            write_label(out / f"{i:05d}.png", ids)
    return out.parent


def test_perfect_prediction_scores_one_and_fewer_objects_are_padded(tmp_path):
    root = make_davis(tmp_path / "d")
    assert evaluate_davis(open_dataset("davis", root, split="val"), _preds(tmp_path, root)).global_scores["J&F-Mean"] == 1.0
    only_one = evaluate_davis(open_dataset("davis", root, split="val"), _preds(tmp_path / "b", root, lambda i, ids: np.where(ids == 2, 0, ids)))
    assert only_one.per_object["seq_1"]["J-Mean"] == 1.0 and only_one.per_object["seq_2"]["J-Mean"] == 0.0


@pytest.mark.parametrize("change, message", [
    (lambda i, ids: None if i == 1 else ids, r"sequence seq, frame 00001: prediction .* is missing"),
    (lambda i, ids: ids[:, :10], r"sequence seq, frame 00001: prediction .* is 10x12, the annotation is 16x12"),
    (lambda i, ids: np.where(ids == 2, 3, ids), r"sequence seq, frame 00001: .* holds object id 3 but the first-frame annotation has only 2"),
])
def test_bad_predictions_name_the_sequence_and_frame(tmp_path, change, message):
    root = make_davis(tmp_path / "d")
    with pytest.raises(PredictionError, match=message):
        evaluate_davis(open_dataset("davis", root, split="val"), _preds(tmp_path, root, change))


def test_missing_prediction_folder_is_an_error(tmp_path):
    root = make_davis(tmp_path / "d")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PredictionError, match="sequence seq: no prediction folder"):
        evaluate_davis(open_dataset("davis", root, split="val"), tmp_path / "empty")


def test_an_annotation_of_another_size_after_the_first_is_an_error(tmp_path):
    """Only frame 0's size used to be checked: a wrong-size mask later scored J near 0, silently."""
    big = np.zeros((15, 20), np.uint8)
    big[2:6, 2:6] = 1
    root = make_davis(tmp_path / "d", masks=[two_objects(), big, two_objects()])
    with pytest.raises(FileNotFoundError, match=r"Annotations/480p/seq/00001.png: annotation is 20x15 but the "
                                                r"sequence's first annotation 00000.png is 16x12"):
        evaluate_davis(open_dataset("davis", root, split="val"), _preds(tmp_path, root))
