"""Flow stage: HDF5 storage, checkpoints, interrupted writes, DIS accuracy, ptlflow end to end, reader."""

from __future__ import annotations

import json

import cv2
import h5py
import numpy as np
import pytest
import torch
from helpers import run
from PIL import Image

from vidcorr.flow import (
    FlowConfig,
    FlowFile,
    FlowReader,
    compute_video_flow,
    write_flow_file,
)
from vidcorr.flow.opencv_backend import OpenCVFlow
from vidcorr.flow.ptlflow_backend import resolve_checkpoint
from vidcorr.flow.validate import flow_epe
from vidcorr.provenance import sha256_file
from vidcorr.synthetic.render import forward_flow
from vidcorr.synthetic.scene import Scene


def _texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 2.0)
    img = (img - img.min()) / (img.max() - img.min())
    return (img * 255).astype(np.uint8)


def _write_frames(folder, frames) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for t, f in enumerate(frames):
        p = folder / f"{t:05d}.png"
        Image.fromarray(f).save(p)
        paths.append(p)
    return paths


def _translated(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """The image moved by (dx, dy): pixel x of the first frame appears at x + dx in the second."""
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("dtype, compression, tol", [
    ("int16", "blosc-lz4hc", 0.5 / 64 + 1e-6), ("int16", "blosc-zstd", 0.5 / 64 + 1e-6),
    ("int16", "gzip", 0.5 / 64 + 1e-6), ("float16", "lzf", 0.05)])
def test_hdf5_round_trip_keeps_values_and_provenance(tmp_path, dtype, compression, tol):
    rng = np.random.default_rng(0)
    fields = {g: [rng.normal(0, 20, (2, 24, 32)).astype(np.float32) for _ in range(6 - g)] for g in (1, 2)}
    path = tmp_path / "v.h5"
    attrs = {"video": "v", "backend": "opencv", "model": "dis_medium", "checkpoint_sha256": "abc",
             "resolution": [24, 32], "provenance": {"code_version": "x", "config_hash": "y"}}
    with write_flow_file(path, num_frames=6, height=24, width=32, gaps=[1, 2], dtype=dtype,
                         compression=compression, attrs=attrs) as w:
        for g, fs in fields.items():
            for t, f in enumerate(fs):
                w.write(g, t, f)
    ff = FlowFile(path)
    assert ff.gaps() == [1, 2] and ff.size == (24, 32)
    for g, fs in fields.items():
        for t, f in enumerate(fs):
            assert np.abs(ff.field(t, g) - f).max() <= tol
    a = ff.attrs
    assert a["backend"] == "opencv" and a["model"] == "dis_medium" and a["checkpoint_sha256"] == "abc"
    assert a["provenance"] == {"code_version": "x", "config_hash": "y"} and a["resolution"] == [24, 32]
    assert a["complete"] is True and a["format"] == "vidcorr-flow/1" and a["compression"] == compression
    with h5py.File(path) as f:
        assert f["gap_1"].dtype == np.dtype(dtype) and f["gap_1"].chunks == (1, 2, 24, 32)
        assert f["gap_2"].shape == (4, 2, 24, 32)
    with pytest.raises(IndexError, match="frame 5 has no flow at gap 1"):
        ff.field(5, 1)


def test_computed_file_records_backend_gaps_resolution_and_code_version(tmp_path):
    img = _texture(48, 64)
    frames = _write_frames(tmp_path / "f", [img, _translated(img, 2, 1), _translated(img, 4, 2)])
    cfg = FlowConfig(gaps=(1, 2), short_side=32)
    ff = FlowFile(compute_video_flow("clip", frames, cfg, tmp_path / "clip.h5", progress=False))
    a = ff.attrs
    assert a["video"] == "clip" and a["backend"] == "opencv" and a["model"] == "dis_medium"
    assert a["frame_size"] == [64, 48] and a["resolution"] == [32, 43] and ff.size == (32, 43)
    assert a["gaps"] == [1, 2] and a["settings"]["gaps"] == [1, 2]
    assert a["provenance"]["code_version"].startswith("0.") and len(a["provenance"]["config_hash"]) == 16
    # computed at 2/3 scale, so the (2, 1) px shift reads (4/3, 2/3) and twice that at gap 2
    inner = (slice(None), slice(8, -8), slice(8, -8))
    assert np.allclose(ff.field(0, 1)[inner].mean(axis=(1, 2)), [4 / 3, 2 / 3], atol=0.2)
    assert np.allclose(ff.field(0, 2)[inner].mean(axis=(1, 2)), [8 / 3, 4 / 3], atol=0.3)


def test_an_interrupted_write_leaves_no_file(tmp_path):
    path = tmp_path / "v.h5"
    with pytest.raises(KeyboardInterrupt):
        with write_flow_file(path, num_frames=4, height=8, width=8, gaps=[1]) as w:
            w.write(1, 0, np.zeros((2, 8, 8), np.float32))
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="only 1 of 3 flow fields"):
        with write_flow_file(path, num_frames=4, height=8, width=8, gaps=[1]) as w:
            w.write(1, 0, np.zeros((2, 8, 8), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_non_finite_flow_is_refused(tmp_path):
    bad = np.zeros((2, 8, 8), np.float32)
    bad[0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="from frame 0 to 1 has non-finite values"):
        with write_flow_file(tmp_path / "v.h5", num_frames=2, height=8, width=8, gaps=[1]) as w:
            w.write(1, 0, bad)
    assert list(tmp_path.iterdir()) == []


def test_a_file_without_the_complete_mark_is_refused(tmp_path):
    path = tmp_path / "half.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("gap_1", data=np.zeros((1, 2, 4, 4), np.int16))
    with pytest.raises(ValueError, match="incomplete"):
        FlowFile(path)


def test_a_killed_compute_job_leaves_no_complete_looking_file(tmp_path):
    img = _texture(48, 64)
    frames = _write_frames(tmp_path / "f", [_translated(img, t, 0) for t in range(6)])

    class Dies(OpenCVFlow):
        calls = 0

        def __call__(self, a, b):
            Dies.calls += 1
            if Dies.calls == 3:
                raise KeyboardInterrupt
            return super().__call__(a, b)

    with pytest.raises(KeyboardInterrupt):
        compute_video_flow("clip", frames, FlowConfig(batch_size=1), tmp_path / "out/clip.h5",
                           backend=Dies("dis_fast"), progress=False)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("model", ["dis_medium", "dis_fast"])
def test_dis_recovers_a_known_translation(model):
    img = _texture(120, 160, seed=1)
    flow = OpenCVFlow(model)([img], [_translated(img, 3.0, -2.0)])[0]
    inner = flow[:, 16:-16, 16:-16]
    epe = np.sqrt((inner[0] - 3.0) ** 2 + (inner[1] + 2.0) ** 2).mean()
    assert epe < 0.5, epe


def test_missing_checkpoints_are_reported_with_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # torch.hub caches in $TORCH_HOME/hub
    with pytest.raises(FileNotFoundError, match=r"raft-things-802bbcfd\.ckpt") as e:
        resolve_checkpoint("raft", "things", allow_random_weights=False)
    assert str(tmp_path / "torch/hub/checkpoints") in str(e.value) and "https://" in str(e.value)
    with pytest.raises(FileNotFoundError, match="'/nowhere/raft.ckpt': no such file"):
        resolve_checkpoint("raft", "/nowhere/raft.ckpt", allow_random_weights=False)
    with pytest.raises(FileNotFoundError, match="flow.checkpoint is not set"):
        resolve_checkpoint("raft_small", None, allow_random_weights=False)
    assert resolve_checkpoint("raft_small", None, allow_random_weights=True) is None
    with pytest.raises(ValueError, match="not a ptlflow model name"):
        resolve_checkpoint("no_such_flow_net", None, allow_random_weights=True)
    cached = tmp_path / "torch/hub/checkpoints/raft_small-things-b7d9f997.ckpt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert resolve_checkpoint("raft_small", "things", allow_random_weights=False) == cached


@pytest.mark.parametrize("shape", ["flow: {%s}", "flow: {datasets: [clips], compute: {%s}}"])
def test_the_command_fails_on_a_missing_checkpoint_before_reading_anything(tmp_path, shape):
    """Both the rule's settings file and a pipeline config's flow section are read."""
    settings = tmp_path / "flow.yaml"
    settings.write_text(shape % "backend: ptlflow, model: raft, checkpoint: /nowhere/raft-things.ckpt" + "\n")
    out = tmp_path / "v.h5"
    proc = run(["vidcorr", "flow", "compute", "--index", str(tmp_path / "no-index.json"), "--video", "v",
                "--config", str(settings), "--out", str(out)], check=False)
    assert proc.returncode == 1
    assert "'/nowhere/raft-things.ckpt': no such file" in proc.stderr and "no-index" not in proc.stderr
    assert not out.exists()


def test_ptlflow_end_to_end_with_a_local_checkpoint(tmp_path):
    import ptlflow

    torch.manual_seed(0)
    net = ptlflow.get_model("raft_small")
    net.iters = 2  # a few refinement steps keep the test quick; the weights are what is under test
    ckpt = tmp_path / "tiny-raft_small.ckpt"
    torch.save({"state_dict": net.state_dict()}, ckpt)
    img = _texture(128, 160)  # smaller frames leave RAFT's coarsest correlation level empty (NaN flow)
    frames = _write_frames(tmp_path / "f", [img, _translated(img, 1, 0), _translated(img, 2, 0)])
    cfg = FlowConfig(backend="ptlflow", model="raft_small", checkpoint=str(ckpt), batch_size=2, dtype="float16")
    ff = FlowFile(compute_video_flow("clip", frames, cfg, tmp_path / "clip.h5", progress=False))
    a = ff.attrs
    assert a["backend"] == "ptlflow" and a["model"] == "raft_small" and a["checkpoint"] == str(ckpt)
    assert a["checkpoint_sha256"] == sha256_file(ckpt)
    # the stored field is what the saved weights compute (fresh model: default 12 iterations)
    ref = ptlflow.get_model("raft_small", ckpt_path=str(ckpt)).eval()
    pair = np.stack([img, _translated(img, 1, 0)])[..., ::-1].copy()
    with torch.no_grad():
        want = ref({"images": torch.from_numpy(pair).permute(0, 3, 1, 2)[None].float() / 255})["flows"][0, 0]
    assert np.allclose(ff.field(0, 1), want.numpy(), atol=0.05)
    assert np.abs(ff.field(0, 1)).max() > 0


def test_reader_resizes_crops_and_flips_like_the_frames(tmp_path):
    """A zoom field u = a (x - cx), v = a (y - cy) is linear, so its resized crop is known exactly."""
    h, w, a, cx, cy = 60, 80, 0.1, 40.0, 30.0
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    field = np.stack([a * (xs - cx), a * (ys - cy)])
    path = tmp_path / "flow" / "videos" / "v.h5"
    with write_flow_file(path, num_frames=2, height=h, width=w, gaps=[1], attrs={"video": "v"}) as wr:
        wr.write(1, 0, field)
    (tmp_path / "flow" / "index.json").write_text(json.dumps({"files": {"v": "videos/v.h5"}}))
    reader = FlowReader(tmp_path / "flow" / "index.json")
    sw, sh, box = 120, 90, (30, 20, 94, 84)
    for flip in (False, True):
        got = reader.for_frames("v", 0, 1, (sw, sh), box, flip)
        assert got.shape == (2, 64, 64)
        s = sw / w
        j = np.arange(64)[::-1] if flip else np.arange(64)
        x = (box[0] + j + 0.5) / s - 0.5  # source pixel of each crop column
        y = (box[1] + np.arange(64) + 0.5) / (sh / h) - 0.5
        want_u = (-1 if flip else 1) * s * a * (x - cx)
        want_v = (sh / h) * a * (y - cy)
        assert np.allclose(got[0, 5:-5, 5:-5], want_u[None, 5:-5], atol=0.02)
        assert np.allclose(got[1, 5:-5, 5:-5], want_v[5:-5, None], atol=0.02)


class _Oracle:
    """Returns the exact flow (times `sign`) of the scenes in the order flow_epe asks for them."""

    backend, model, checkpoint, checkpoint_sha256 = "oracle", "exact", None, ""

    def __init__(self, scenes, gap, sign):
        self.queue, self.gap, self.sign = list(scenes), gap, sign

    def __call__(self, first, second):
        scene = self.queue.pop(0)
        return [self.sign * forward_flow(scene, t, self.gap).transpose(2, 0, 1) for t in range(len(first))]


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_epe_arithmetic_with_the_exact_flow(synthetic_root, monkeypatch, sign):
    from vidcorr.flow import validate

    scenes = [Scene.from_json(p.read_text()) for p in sorted((synthetic_root / "Scenes").glob("*.json"))]
    monkeypatch.setattr(validate, "make_backend", lambda cfg: _Oracle(scenes, 1, sign))
    rows = flow_epe(synthetic_root, [FlowConfig(gaps=(1,))], progress=False)
    overall = rows[-1]
    assert overall["sequence"] == "all" and overall["pairs"] == 2 * 9
    zero = np.mean([np.linalg.norm(forward_flow(s, t, 1), axis=2).mean() for s in scenes for t in range(9)])
    assert overall["epe_zero_flow"] == pytest.approx(zero, rel=1e-5)
    if sign > 0:  # exact flow: only the 1/64 px storage step is left
        assert overall["epe_before_storage"] == 0 and 0 < overall["epe"] <= 0.01
    else:  # reversed flow is off by twice the motion everywhere
        assert overall["epe_before_storage"] == pytest.approx(2 * zero, rel=1e-5)


def test_dis_epe_on_the_generated_benchmark(synthetic_root):
    rows = flow_epe(synthetic_root, [FlowConfig(model="dis_medium", gaps=(1, 2))], progress=False)
    overall = {r["gap"]: r for r in rows if r["sequence"] == "all"}
    assert set(overall) == {1, 2} and overall[1]["pairs"] == 2 * 9 and overall[2]["pairs"] == 2 * 8
    assert all(np.isfinite(r["epe"]) and r["epe"] > 0 for r in rows)
    for r in rows:  # storage adds at most the quantisation step's share of error
        assert abs(r["epe"] - r["epe_before_storage"]) <= 0.01


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_flow_index_names_a_damaged_file_without_a_traceback(tmp_path, damage):
    path = tmp_path / "videos/v.h5"
    with write_flow_file(path, num_frames=2, height=8, width=8, gaps=[1], attrs={"video": "v"}) as w:
        w.write(1, 0, np.zeros((2, 8, 8), np.float32))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x89HDF" + bytes(200))
    out = tmp_path / "index.json"
    proc = run(["vidcorr", "flow", "index", str(path), "--dataset", "d", "--out", str(out)], check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"flow file {path} is damaged or not HDF5" in proc.stderr and not out.exists()
