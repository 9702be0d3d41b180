"""The generated benchmark: deterministic, readable by every reader, and its labels and flow are exact."""

from __future__ import annotations

import filecmp

import cv2
import numpy as np
import pytest

from vidcorr.datasets import open_dataset
from vidcorr.flo import read_flo, write_flo
from vidcorr.synthetic import generate_benchmark, sample_scene
from vidcorr.synthetic.render import forward_flow, render_frame
from vidcorr.synthetic.scene import Scene


def test_same_seed_same_bytes_other_seed_differs(tmp_path, synthetic_root):
    again = tmp_path / "again"
    generate_benchmark(again, seed=3, num_sequences=2, num_frames=10, width=128, height=96, num_objects=3)
    for rel in ("JPEGImages/480p/synth01/00007.jpg", "Annotations/480p/synth01/00007.png",
                "Flow/synth01/00003.flo", "VIP/Category_ids/synth00/00004.png"):
        assert filecmp.cmp(synthetic_root / rel, again / rel, shallow=False), rel
    other = tmp_path / "other"
    generate_benchmark(other, seed=4, num_sequences=1, num_frames=3, width=128, height=96, num_objects=3)
    assert not filecmp.cmp(synthetic_root / "Flow/synth00/00000.flo", other / "Flow/synth00/00000.flo", shallow=False)


def test_every_layout_reads_back(synthetic_root):
    davis = open_dataset("davis", synthetic_root, split="val", year=2017)
    assert davis.names() == ["synth00", "synth01"]
    seq = davis.sequence("synth00")
    assert len(seq) == len(seq.labels) == 10
    assert seq.first_frame == {1: 0, 2: 0, 3: 0}
    vip = open_dataset("vip", synthetic_root / "VIP", split="val").sequence("synth00")
    parts = vip.read_label(0)
    assert parts.max() <= 12 and len(np.unique(parts)) > 4
    # Part classes refine the instance masks: a pixel has a part exactly where it has an object.
    np.testing.assert_array_equal(parts > 0, seq.read_label(0) > 0)
    jhmdb = open_dataset("jhmdb", synthetic_root / "JHMDB", split=1, subset="test").sequence("synthetic/synth00")
    assert jhmdb.keypoints.shape == (10, 15, 2)


def _scene(seed=7, t_len=16):
    return sample_scene(seed, "s", 160, 120, t_len, 3)


def test_flow_warps_the_next_frame_onto_this_one():
    scene = _scene()
    h, w = scene.height, scene.width
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    for t in (0, 6, 11):
        f0, f1 = render_frame(scene, t), render_frame(scene, t + 1)
        flow = forward_flow(scene, t)
        mx, my = xs + flow[..., 0], ys + flow[..., 1]
        # Pixels whose surface is still visible in t+1 (same layer there, inside the frame).
        target_layer = cv2.remap(f1.layers.astype(np.float32), mx, my, cv2.INTER_NEAREST, borderValue=-1)
        ok = (target_layer == f0.layers) & (mx >= 1) & (mx < w - 2) & (my >= 1) & (my < h - 2)
        warped = cv2.remap(f1.image.astype(np.float32), mx, my, cv2.INTER_LINEAR)
        err_flow = np.abs(warped - f0.image)[ok].mean()
        err_still = np.abs(f1.image.astype(np.float32) - f0.image)[ok].mean()
        assert ok.mean() > 0.8
        assert err_flow < 0.4 * err_still, (t, err_flow, err_still)
        # Masks move with the flow: object ids carried along the flow agree almost everywhere.
        carried = cv2.remap(f1.instances, mx, my, cv2.INTER_NEAREST)
        assert (carried[ok] == f0.instances[ok]).mean() > 0.99


def test_flow_over_two_frames_composes_one_frame_flows():
    scene = _scene()
    f01, f02 = forward_flow(scene, 3, 1), forward_flow(scene, 3, 2)
    f12 = forward_flow(scene, 4, 1)
    top3, top4 = render_frame(scene, 3).layers, render_frame(scene, 4).layers
    ys, xs = np.mgrid[0:scene.height, 0:scene.width]
    x1, y1 = np.rint(xs + f01[..., 0]).astype(int), np.rint(ys + f01[..., 1]).astype(int)
    inside = (x1 >= 0) & (x1 < scene.width) & (y1 >= 0) & (y1 < scene.height)
    same = np.zeros_like(inside)
    same[inside] = top4[y1[inside], x1[inside]] == top3[inside]
    composed = f01[same] + f12[y1[same], x1[same]]
    assert same.mean() > 0.7
    assert np.abs(composed - f02[same]).max() < 1.5  # rounding to the pixel grid only


def test_objects_leave_and_reenter_and_a_lookalike_is_unlabelled():
    scene = _scene(t_len=24)
    present = [set(np.unique(render_frame(scene, t).instances)) for t in range(24)]
    assert present[0] == {0, 1, 2, 3}
    gone = [t for t in range(24) if 2 not in present[t]]
    assert gone and 2 in present[-1] and max(gone) < 23
    twin = next(i for i, layer in enumerate(scene.layers) if layer.kind == "distractor")
    obj1 = scene.object_layer(1)
    assert scene.layers[twin].source == scene.layers[obj1].source
    frame = render_frame(scene, 0)
    assert (frame.layers == twin).any()
    assert (frame.instances[frame.layers == twin] == 0).all()


def test_visible_keypoints_sit_on_object_one():
    scene = _scene()
    for t in range(scene.num_frames):
        f = render_frame(scene, t)
        xy = np.rint(f.keypoints[f.visible]).astype(int)
        assert (f.instances[xy[:, 1], xy[:, 0]] == 1).all()


def test_scene_json_round_trip_reproduces_the_flow(synthetic_root):
    scene = Scene.from_json((synthetic_root / "Scenes/synth01.json").read_text())
    np.testing.assert_allclose(forward_flow(scene, 2), read_flo(synthetic_root / "Flow/synth01/00002.flo"))


def test_flo_round_trip_and_truncation(tmp_path):
    flow = np.random.default_rng(0).normal(size=(5, 7, 2)).astype(np.float32)
    write_flo(tmp_path / "a.flo", flow)
    np.testing.assert_array_equal(read_flo(tmp_path / "a.flo"), flow)
    (tmp_path / "b.flo").write_bytes((tmp_path / "a.flo").read_bytes()[:-8])
    with pytest.raises(ValueError, match="truncated"):
        read_flo(tmp_path / "b.flo")


def test_jhmdb_layout_holds_the_rendered_keypoints(synthetic_root):
    scene = Scene.from_json((synthetic_root / "Scenes/synth00.json").read_text())
    seq = open_dataset("jhmdb", synthetic_root / "JHMDB", split=1, subset="test").sequence("synthetic/synth00")
    for t in (0, 5, 9):
        np.testing.assert_allclose(seq.keypoints[t], render_frame(scene, t).keypoints, atol=1e-9)
