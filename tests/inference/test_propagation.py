"""The propagation engine: matching equals a brute-force reference, memory stays bounded at 480p,
and labels follow real motion for masks, late-appearing objects and keypoints."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from helpers import index, run
from helpers.layouts import make_davis
from vidcorr.datasets import open_dataset
from vidcorr.inference import CopyFirst, LabFeatures, PropagationConfig, Propagator
from vidcorr.inference.labels import decode_keypoints, heatmaps, one_hot, upsample
from vidcorr.inference.key_tiles import matmul_dtype, unit_features
from vidcorr.inference.matching import transfer_labels
from vidcorr.model import ResNet18Stride4, save_encoder


def _brute(q, k, lab, cfg, long_term=(False, False), replaced=None):
    """Per query pixel: all candidates of all memory frames, in plain loops (`replaced` collects,
    for the port's compactness form, whether each frame's map was replaced)."""
    d, h, w = q.shape
    out = torch.zeros(lab.shape[1], h, w)
    for y in range(h):
        for x in range(w):
            logits, labels, where = [], [], []
            for m in range(k.shape[0]):
                radius = cfg.long_term_radius if long_term[m] else cfg.radius
                for yy in range(h):
                    for xx in range(w):
                        if radius is None or (abs(yy - y) <= radius and abs(xx - x) <= radius):
                            logits.append(q[:, y, x] @ k[m, :, yy, xx] / cfg.temperature)
                            labels.append(lab[m, :, yy, xx])
                            where.append((m, xx, yy))
            logits, labels = torch.stack(logits), torch.stack(labels)
            if cfg.compactness:
                a = torch.softmax(logits, 0)
                mix = torch.zeros_like(a)
                for m in range(k.shape[0]):
                    idx = [i for i, p in enumerate(where) if p[0] == m]
                    vals, top = a[idx].topk(cfg.compactness_k)
                    port = cfg.compactness_form == "port"
                    if port:
                        vals = torch.softmax(vals, 0)
                        sure = bool(a[idx].max() > cfg.compactness_threshold)
                        replaced.append(sure)
                    for i in idx:
                        if port and not sure:
                            mix[i] = a[i]
                            continue
                        for v, j in zip(vals, top):
                            _, px, py = where[idx[j]]
                            d2 = (where[i][1] - px) ** 2 + (where[i][2] - py) ** 2
                            mix[i] += v * np.exp(-d2 / (2 * cfg.compactness_sigma**2))
                out[:, y, x] = (mix[:, None] * labels).sum(0) / mix.sum()
            else:
                vals, top = logits.topk(min(cfg.topk, len(logits)))
                out[:, y, x] = (torch.softmax(vals, 0)[:, None] * labels[top]).sum(0)
    return out


@pytest.mark.parametrize("cfg,long_term", [
    (PropagationConfig(radius=2, tile=4, topk=5, temperature=0.1), (False, False)),
    (PropagationConfig(radius=None, topk=5, temperature=0.1, chunk_elements=500), (False, False)),
    (PropagationConfig(radius=2, tile=3, compactness=True, compactness_k=2, compactness_sigma=1.5, temperature=0.1),
     (False, False)),
    (PropagationConfig(radius=None, compactness=True, compactness_k=2, compactness_sigma=1.5, temperature=0.1,
                       chunk_elements=3000), (False, False)),
    # long-term frames searched wider than short-term ones, in both layouts
    (PropagationConfig(radius=1, long_term_radius=3, tile=4, topk=5, temperature=0.1), (True, False)),
    (PropagationConfig(radius=2, long_term_radius=None, topk=5, temperature=0.1, chunk_elements=500), (True, False)),
    (PropagationConfig(radius=1, long_term_radius=None, compactness=True, compactness_k=2, compactness_sigma=1.5,
                       temperature=0.1, chunk_elements=3000), (False, True)),
    # short-term frames over the whole map, long-term ones windowed: the global layout, also while every
    # frame held is long-term (a frame-1 memory; the key tiles were once picked there, and failed)
    (PropagationConfig(radius=None, long_term_radius=2, topk=5, temperature=0.1, chunk_elements=500), (True, True)),
    (PropagationConfig(radius=None, long_term_radius=2, topk=5, temperature=0.1, chunk_elements=500), (True, False)),
    # the LIIR port's form: softmax-weighted peaks, a frame's map replaced only past the threshold
    (PropagationConfig(radius=2, tile=3, compactness=True, compactness_form="port", compactness_k=2,
                       compactness_sigma=0.4247, compactness_threshold=0.12, temperature=0.1), (False, False)),
    (PropagationConfig(radius=None, compactness=True, compactness_form="port", compactness_k=2,
                       compactness_sigma=0.4247, compactness_threshold=0.03, temperature=0.1, chunk_elements=3000),
     (False, False)),
])
def test_matching_equals_brute_force(cfg, long_term):
    cfg = dataclasses.replace(cfg, precision="float32")
    g = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(8, 7, 9, generator=g), dim=0)
    k = torch.nn.functional.normalize(torch.randn(2, 8, 7, 9, generator=g), dim=1)
    lab = torch.softmax(torch.randn(2, 3, 7, 9, generator=g), 1)
    replaced = []
    torch.testing.assert_close(transfer_labels(q, k, lab, cfg, list(long_term)),
                               _brute(q, k, lab, cfg, long_term, replaced), atol=1e-5, rtol=1e-5)
    if cfg.compactness_form == "port":  # both branches taken
        assert 0 < sum(replaced) < len(replaced), sum(replaced) / len(replaced)


def test_the_settings_pick_the_matcher_and_it_reports_what_ran():
    """make_matcher is the one place that picks the layout: key tiles where every radius is finite,
    else the global search; each reports its kind, dtype and tile for provenance, and a propagator
    records what its matchers report."""
    from vidcorr.inference.matching import make_matcher

    q = torch.nn.functional.normalize(torch.randn(8, 7, 9), dim=0)
    for radii, kind in (((2, 3), "windowed"), ((None, 3), "global"), ((2, None), "global")):
        cfg = PropagationConfig(radius=radii[0], long_term_radius=radii[1], tile=4, precision="float32")
        matcher = make_matcher(cfg, q, q, slots=2)
        assert matcher.describe() == {"kind": kind, "dtype": "float32", "tile": 4 if kind == "windowed" else None}
    frames, masks = _moving_square()
    prop = Propagator(LabFeatures(torch.device("cpu")), PropagationConfig(radius=None))
    dict(prop.run(3, frames.__getitem__, one_hot(masks[0], 2)))
    assert prop.ran()["matmul"] == [{"kind": "global", "dtype": "float32", "tile": None}]


def test_bfloat16_matmul_only_shortlists_and_float32_weighs():
    """With precision bfloat16 the windowed matmul only shortlists candidates: on features whose
    neighbours differ by less than bf16 resolves (a smooth field, each memory frame a shifted,
    noisy crop of it) the labels equal float32's (weights taken from the bf16 logits move them by
    up to 0.027 here)."""
    g = torch.Generator().manual_seed(0)
    field = torch.nn.functional.avg_pool2d(torch.randn(1, 64, 40, 48, generator=g), 5, 1, 2)[0]
    noise = 0.1 * field.std()
    q = torch.nn.functional.normalize(field[:, 4:36, 4:44], dim=0)
    k = torch.stack([torch.nn.functional.normalize(field[:, 4 + dy:36 + dy, 4 + dx:44 + dx]
                                                   + noise * torch.randn(64, 32, 40, generator=g), dim=0)
                     for dy, dx in [(0, 0), (1, 2), (-2, 1)]])
    lab = torch.softmax(3 * torch.randn(3, 4, 32, 40, generator=g), 1)
    cfg = PropagationConfig(radius=3, tile=4, topk=5, temperature=0.05)
    exact = transfer_labels(q, k, lab, dataclasses.replace(cfg, precision="float32"), [True, False, False])
    half = transfer_labels(q, k, lab, dataclasses.replace(cfg, precision="bfloat16"), [True, False, False])
    torch.testing.assert_close(half, exact, atol=1e-5, rtol=1e-5)


def test_candidate_pairs_are_sorted_for_cusparse_and_the_products_come_back_in_order():
    """The rescoring's sampled matmul gets each query's candidates as a CSR row with sorted column
    indices (cuSPARSE assumes it; the pattern skips torch's invariant check for speed): torch's
    validator accepts the pattern, the top-k order did not, and the products equal the candidates'
    dot products in their own (unsorted) order."""
    from vidcorr.inference.key_tiles import candidate_pairs

    g = torch.Generator().manual_seed(0)
    table, queries = torch.randn(50, 8, generator=g), torch.randn(6, 8, generator=g)
    rows = torch.stack([torch.randperm(50, generator=g)[:7] for _ in range(6)])  # distinct, in top-k (any) order
    pairs, order = candidate_pairs(rows, 50)
    torch._validate_sparse_csr_tensor_args(pairs.crow_indices(), pairs.col_indices(), pairs.values(), pairs.shape)
    with pytest.raises(RuntimeError, match="sorted and distinct"):  # the unsorted rows, as before
        torch._validate_sparse_csr_tensor_args(pairs.crow_indices(), rows.reshape(-1), pairs.values(), pairs.shape)
    dots = torch.sparse.sampled_addmm(pairs, queries, table.t(), beta=0.0).values().view(order.shape)
    back = torch.empty_like(dots).scatter_(-1, order, dots)
    torch.testing.assert_close(back, (queries[:, None, :] * table[rows]).sum(-1), rtol=1e-5, atol=1e-6)


def test_key_tiles_kept_across_frames_equal_a_fresh_layout_each_frame():
    """The propagator lays each memory frame out once and reuses slots as frames leave (short-term
    frames dropping out, a kept frame, one more slot where a new object is given): every frame's
    labels equal matching against that frame's memory laid out from scratch."""
    from vidcorr.inference.labels import downsample
    from vidcorr.inference.memory import Memory

    g = torch.Generator().manual_seed(0)
    n, size, low_size = 9, (28, 36), (7, 9)
    feats = [torch.nn.functional.normalize(torch.randn(8, *low_size, generator=g), dim=0) for _ in range(n)]
    first = one_hot(torch.randint(0, 2, size, generator=g).numpy(), 2)
    given = {4: torch.zeros(3, *size)}
    given[4][2, 8:20, 10:26] = 1
    cfg = PropagationConfig(radius=2, long_term_radius=3, tile=4, topk=5, temperature=0.1, short_term=3,
                            keep_frames=(2,), precision="float32")
    prop = Propagator(lambda t: (feats[t], feats[t]), cfg)
    kept = dict(prop.run(n, lambda t: t, first, given=given))
    memory = Memory(cfg)
    memory.add(0, feats[0], downsample(first, low_size), annotated=True)
    for t in range(1, n):
        keys, labels, long_term = memory.tensors()
        low = transfer_labels(feats[t], keys, labels, cfg, long_term)
        full = upsample(low, size)
        if t in given:
            full = prop._write_in(full, given[t])
            low = downsample(full, low_size)
        torch.testing.assert_close(kept[t], full, atol=1e-5, rtol=1e-5)
        memory.add(t, feats[t], low, annotated=t in given)


def test_a_second_sequence_reuses_the_key_tiles_and_equals_a_fresh_run():
    """The propagator keeps the last sequence's key buffer for the next one of the same size (emptied:
    nothing of the first sequence reaches the second, which has fewer classes)."""
    g = torch.Generator().manual_seed(1)
    feats = [[torch.nn.functional.normalize(torch.randn(8, 7, 9, generator=g), dim=0) for _ in range(6)]
             for _ in range(2)]
    firsts = [one_hot(torch.randint(0, c, (28, 36), generator=g).numpy(), c) for c in (3, 2)]
    cfg = PropagationConfig(radius=2, tile=4, topk=5, temperature=0.1, short_term=2, precision="float32")
    prop = Propagator(lambda f: f, cfg)
    dict(prop.run(6, lambda t: (feats[0][t], feats[0][t]), firsts[0]))
    buffer = prop._kept
    second = dict(prop.run(6, lambda t: (feats[1][t], feats[1][t]), firsts[1]))
    assert prop._kept is buffer
    fresh = dict(Propagator(lambda f: f, cfg).run(6, lambda t: (feats[1][t], feats[1][t]), firsts[1]))
    for t, labels in fresh.items():
        assert labels.shape[0] == 2
        torch.testing.assert_close(second[t], labels, atol=1e-6, rtol=1e-6)


def test_lab_colour_stays_float32_under_precision_auto():
    """Raw Lab logits (|f|^2 - |f - f'|^2) differ by less than bf16 resolves, so `auto` shortlists
    only unit (cosine) features in 16 bits; Lab is matched in float32 on every machine."""
    assert matmul_dtype(PropagationConfig(), torch.device("cpu"), unit=False) == torch.float32
    assert unit_features(torch.nn.functional.normalize(torch.randn(8, 5, 5), dim=0))
    frames, masks = _moving_square()
    first = one_hot(masks[0], 2)
    runs = {p: dict(Propagator(LabFeatures(torch.device("cpu")), PropagationConfig(radius=4, temperature=0.01,
                                                                                    precision=p))
                    .run(len(frames), frames.__getitem__, first)) for p in ("auto", "float32")}
    for t, labels in runs["auto"].items():
        assert torch.equal(labels, runs["float32"][t])


def test_features_too_large_for_the_window_penalty_are_refused():
    q, k = torch.full((4, 6, 6), 4.0), torch.full((1, 4, 6, 6), 4.0)  # |q . k| = 64
    with pytest.raises(ValueError, match="normalise the features"):
        transfer_labels(q, k, torch.rand(1, 2, 6, 6), PropagationConfig(radius=2, tile=4))


def test_480p_matching_stays_in_bounded_memory():
    """Six 256-channel memory frames at 480p feature size; a full affinity would need 15.8 GB."""
    code = (
        "import resource, torch\n"
        "from vidcorr.inference.matching import transfer_labels\n"
        "from vidcorr.inference import PropagationConfig\n"
        "n = torch.nn.functional.normalize\n"
        "q = n(torch.randn(256, 120, 214), dim=0); k = n(torch.randn(6, 256, 120, 214), dim=1)\n"
        "lab = torch.rand(6, 3, 120, 214)\n"
        "out = transfer_labels(q, k, lab, PropagationConfig())\n"
        "assert out.shape == (3, 120, 214)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    peak_kb = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert peak_kb < 3_000_000


def _moving_square(n=6, size=(48, 64), step=3):
    """A textured frame whose bright square moves `step` pixels right per frame."""
    rng = np.random.default_rng(0)
    bg = rng.integers(0, 80, (*size, 3), dtype=np.uint8)
    frames, masks = [], []
    for t in range(n):
        f, m = bg.copy(), np.zeros(size, np.uint8)
        x = 8 + step * t
        f[16:32, x: x + 16] = (230, 40, 40)
        m[16:32, x: x + 16] = 1
        frames.append(f)
        masks.append(m)
    return frames, masks


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_lab_features_follow_the_motion_and_copy_first_does_not():
    frames, masks = _moving_square()
    first = one_hot(masks[0], 2)
    cfg = PropagationConfig(radius=4, temperature=0.01, topk=5)
    lab = dict(Propagator(LabFeatures(torch.device("cpu")), cfg).run(len(frames), frames.__getitem__, first))
    copy = dict(Propagator(CopyFirst(), cfg).run(len(frames), frames.__getitem__, first))
    last = len(frames) - 1
    assert _iou(lab[last].argmax(0).numpy() == 1, masks[last] == 1) > 0.8
    assert _iou(copy[last].argmax(0).numpy() == 1, masks[last] == 1) < 0.2
    torch.testing.assert_close(copy[last], first)


def _late_object_video(root):
    """YouTube-VOS layout, 48x64: a red object labelled at frame 0, a green one entering at index 2."""
    from PIL import Image

    from vidcorr.datasets.masks import write_label

    base = root / "valid"
    rng = np.random.default_rng(1)
    bg = rng.integers(0, 60, (48, 64, 3), dtype=np.uint8)
    names = ["00000", "00005", "00010", "00015"]
    for i, name in enumerate(names):
        f = bg.copy()
        f[8:20, 6:18] = (220, 30, 30)
        if i >= 2:
            f[28:40, 36 + 2 * i: 48 + 2 * i] = (30, 220, 30)
        (base / "JPEGImages/vid1").mkdir(parents=True, exist_ok=True)
        Image.fromarray(f).save(base / "JPEGImages/vid1" / f"{name}.jpg", quality=98)
    first, later = np.zeros((48, 64), np.uint8), np.zeros((48, 64), np.uint8)
    first[8:20, 6:18] = 1
    later[28:40, 40:52] = 2
    write_label(base / "Annotations/vid1/00000.png", first)
    write_label(base / "Annotations/vid1/00010.png", later)
    meta = {"videos": {"vid1": {"objects": {"1": {"frames": names}, "2": {"frames": names[2:]}}}}}
    (base / "meta.json").write_text(json.dumps(meta))
    return root


def test_object_given_later_appears_exactly_there(tmp_path):
    from vidcorr.datasets.masks import read_label
    from vidcorr.inference.tasks import propagate_masks

    seq = open_dataset("ytvos", _late_object_video(tmp_path / "y"), split="valid").sequence("vid1")
    assert seq.first_frame == {1: 0, 2: 2}
    propagator = Propagator(LabFeatures(torch.device("cpu")), PropagationConfig(radius=4, temperature=0.01))
    propagate_masks(seq, propagator, tmp_path / "out/vid1")
    pred = {p.stem: read_label(p) for p in sorted((tmp_path / "out/vid1").glob("*.png"))}
    assert sorted(pred) == ["00000", "00005", "00010", "00015"]
    assert 2 not in pred["00005"]
    given = seq.read_label(2)
    assert (pred["00010"][given == 2] == 2).all()
    truth = np.zeros((48, 64), bool)
    truth[28:40, 42:54] = True  # where the green object is in the last frame
    assert _iou(pred["00015"] == 2, truth) > 0.6
    assert _iou(pred["00015"] == 1, seq.read_label(0) == 1) > 0.6


def test_keypoint_heatmaps_decode_back_to_the_keypoints():
    xy = np.array([[10.0, 7.0], [40.0, 30.0], [3.0, 44.0]])
    low = heatmaps(xy, (12, 16), sigma=1.0, stride=4)
    decoded = decode_keypoints(upsample(low, (48, 64)))
    assert np.abs(decoded - xy).max() <= 1.25  # within a third of a feature cell, border point included
    full = heatmaps(xy, (48, 64), sigma=4.0)
    np.testing.assert_allclose(decode_keypoints(full)[:2], xy[:2], atol=0.05)  # symmetric window: exact


def test_cli_propagates_davis_with_a_baseline_and_a_checkpoint(tmp_path):
    data = index(tmp_path / "d.json", "davis", make_davis(tmp_path / "d"), split="val")
    run(["vidcorr", "propagate", "--index", data, "--checkpoint", "copy-first",
         "--out", str(tmp_path / "copy"), "--overlays", str(tmp_path / "copy.png")])
    assert sorted(p.name for p in (tmp_path / "copy/seq").iterdir()) == ["00000.png", "00001.png", "00002.png"]
    assert (tmp_path / "copy.png").stat().st_size > 0
    run(["vidcorr", "evaluate", "--index", data, "--results", str(tmp_path / "copy"), "--out", str(tmp_path / "copy.csv")])
    assert open(tmp_path / "copy.csv").read().splitlines()[1].startswith("global,1.0,")

    torch.manual_seed(0)
    ckpt = tmp_path / "random.pt"
    save_encoder(ckpt, ResNet18Stride4())
    cfg = tmp_path / "prop.yaml"
    cfg.write_text("propagation:\n  radius: 2\n  topk: 3\n")
    run(["vidcorr", "propagate", "--index", data, "--checkpoint", str(ckpt), "--out", str(tmp_path / "net"),
         "--config", str(cfg)])
    prov = json.loads((tmp_path / "net/provenance.json").read_text())
    assert prov["propagation"]["radius"] == 2 and len(prov["checkpoint_sha256"]) == 64
    dtype = matmul_dtype(PropagationConfig(), torch.device("cpu"), unit=True)
    assert prov["ran"]["matmul"] == [{"kind": "windowed", "dtype": str(dtype).removeprefix("torch."),
                                      "tile": 12 if dtype == torch.float32 else 8}]
    assert prov["ran"]["device"] == "cpu" and prov["ran"]["autocast"] == "float32"  # the CPU policy: no autocast


def test_missing_checkpoint_and_unknown_setting_are_clear_errors(tmp_path):
    data = index(tmp_path / "d.json", "davis", make_davis(tmp_path / "d"))
    proc = run(["vidcorr", "propagate", "--index", data, "--checkpoint", str(tmp_path / "nope.pt"),
                "--out", str(tmp_path / "o")], check=False)
    assert proc.returncode == 1 and "nope.pt does not exist" in proc.stderr
    assert not (tmp_path / "o").exists()
    with pytest.raises(ValueError, match=r"unknown propagation setting\(s\) \['radious'\]"):
        PropagationConfig.from_dict({"radious": 3})


@pytest.mark.parametrize("damage, message", [
    ("truncate", "is damaged or not a torch file"), ("flip", "is damaged or not a torch file"),
    ("pickle", "holds Python objects besides tensors")])
def test_a_damaged_checkpoint_is_named_without_torchs_unsafe_advice(tmp_path, damage, message):
    import pickle

    from vidcorr.model import ResNet18Stride4, load_encoder, save_encoder

    path = tmp_path / "enc.pt"
    save_encoder(path, ResNet18Stride4(layer4=False))
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "flip":
        data[len(data) // 3] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(pickle.dumps({"encoder": {}, "hook": print}))
    with pytest.raises(ValueError, match=message) as err:
        load_encoder(path)
    assert str(path) in str(err.value) and "weights_only" not in str(err.value)


def test_youtube_vos_submission_zip(tmp_path):
    import zipfile

    root = _late_object_video(tmp_path / "y")
    data = index(tmp_path / "y.json", "ytvos", root, split="valid")
    run(["vidcorr", "propagate", "--index", data, "--checkpoint", "copy-first",
         "--out", str(tmp_path / "sub"), "--zip", str(tmp_path / "sub.zip")])
    names = sorted(zipfile.ZipFile(tmp_path / "sub.zip").namelist())
    assert names == [f"Annotations/vid1/{f}.png" for f in ("00000", "00005", "00010", "00015")]
    from vidcorr.datasets.masks import read_label

    last = read_label(tmp_path / "sub/vid1/00015.png")  # copy-first keeps the late object from its first frame
    assert (last[28:40, 40:52] == 2).all() and (last[8:20, 6:18] == 1).all()


def test_input_scale_tracks_at_half_resolution_and_answers_at_native_size():
    frames, masks = _moving_square(size=(64, 96))
    first = one_hot(masks[0], 2)
    cfg = PropagationConfig(radius=4, temperature=0.01, topk=5, input_scale=0.5)
    out = dict(Propagator(LabFeatures(torch.device("cpu")), cfg).run(len(frames), frames.__getitem__, first))
    last = len(frames) - 1
    assert out[last].shape == (2, 64, 96)
    assert _iou(out[last].argmax(0).numpy() == 1, masks[last] == 1) > 0.7


@pytest.mark.parametrize("settings, expected", [
    ({}, [0, 15, 16, 17, 18, 19]),  # first frame + the last five
    ({"short_term_stride": 2, "keep_frames": [5]}, [0, 5, 15, 17, 19]),  # MAST / LIIR: {0, 5, t-5, t-3, t-1}
    ({"first_frames": 2, "short_term": 3}, [0, 1, 17, 18, 19]),  # MER's long-term first frames
])
def test_memory_schedules(settings, expected):
    from vidcorr.inference.memory import Memory

    memory = Memory(PropagationConfig.from_dict(settings))
    for t in range(20):  # what frame 20 is matched against
        memory.add(t, torch.zeros(1, 1, 1), torch.zeros(1, 1, 1), annotated=t == 0)
    assert [e[0] for e in memory.entries()] == expected
    long_term = dict(zip(expected, memory.tensors()[2]))  # searched within long_term_radius
    assert [t for t, far in long_term.items() if far] == [t for t in expected if t < 15]
    with pytest.raises(ValueError, match="propagation setting keep_frames.0: 0 is less than the minimum of 1"):
        PropagationConfig.from_dict({"keep_frames": [0]})


def _mast_reference_frames(t: int) -> list[int]:
    """The frames MAST's benchmark.py (`--ref 0`) matches target t against: 0, 5 once it is past, and
    t-1, t-3, t-5 where positive (re-derived from its list comprehension)."""
    i = t - 1
    recent = [x for x in range(i, i - 6, -2) if x > 0]
    return sorted({0, *([5] if 5 <= i else []), *recent})


def test_memory_is_masts_at_every_target_up_to_60():
    from vidcorr.inference.memory import Memory

    memory = Memory(PropagationConfig.from_dict({"short_term": 5, "short_term_stride": 2, "keep_frames": [5]}))
    memory.add(0, torch.zeros(1, 1, 1), torch.zeros(1, 1, 1), annotated=True)
    for t in range(1, 61):
        assert sorted(e[0] for e in memory.entries()) == _mast_reference_frames(t), f"target {t}"
        memory.add(t, torch.zeros(1, 1, 1), torch.zeros(1, 1, 1))
    assert _mast_reference_frames(7) == [0, 2, 4, 5, 6]  # the example, so the oracle itself is checked


def test_hard_memory_stores_the_argmax_and_heatmaps_stay_soft():
    """memory_labels hard: each prediction enters memory as its argmax's one-hot (averaged down to
    the feature grid, as the first frame's labels are); keypoint heatmaps (categorical=False) stay soft."""
    from vidcorr.inference.labels import downsample
    from vidcorr.inference.memory import Memory

    g = torch.Generator().manual_seed(2)
    n, size, low_size = 6, (28, 36), (7, 9)
    feats = [torch.nn.functional.normalize(torch.randn(8, *low_size, generator=g), dim=0) for _ in range(n)]
    first = one_hot(torch.randint(0, 3, size, generator=g).numpy(), 3)
    cfg = PropagationConfig(radius=2, tile=4, topk=5, temperature=0.1, short_term=2, memory_labels="hard",
                            precision="float32")
    got = dict(Propagator(lambda t: (feats[t], feats[t]), cfg).run(n, lambda t: t, first))
    soft = dict(Propagator(lambda t: (feats[t], feats[t]), cfg).run(n, lambda t: t, first, categorical=False))
    memory, hard_differs = Memory(cfg), False
    memory.add(0, feats[0], downsample(first, low_size), annotated=True)
    for t in range(1, n):
        keys, labels, long_term = memory.tensors()
        full = upsample(transfer_labels(feats[t], keys, labels, cfg, long_term), size)
        torch.testing.assert_close(got[t], full, atol=1e-5, rtol=1e-5)
        hard = torch.nn.functional.one_hot(full.argmax(0), 3).permute(2, 0, 1).float()
        memory.add(t, feats[t], downsample(hard, low_size))
        hard_differs |= not torch.allclose(soft[t], got[t], atol=1e-3)
    assert hard_differs  # the soft run's memory is another one
    with pytest.raises(ValueError, match="memory_labels"):
        PropagationConfig.from_dict({"memory_labels": "binary"})
