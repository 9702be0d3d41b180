"""Fuzz pass: generated bad inputs for every reader and for the command-line entry points.

Each case must end in one of two ways: the output the undamaged input gives, or the module's own
error naming the file (or setting), with nothing partial left. Damage is one flipped byte at seeded
offsets, or a truncation at evenly spaced lengths. For videos the flips avoid the packets' payload
and MP4 edit lists: a damaged byte there can still form a valid file, which no decoder can tell from
content (README, "Frames", measures how often on real clips). `pytest tests/test_fuzz.py -s`
prints how many cases each part tries.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from helpers import index, run
from helpers.layouts import make_davis, make_vip, two_objects
from helpers.clips import write_clip
from vidcorr.datasets import DatasetLayoutError, open_dataset
from vidcorr.datasets.masks import read_label, write_label
from vidcorr.flow import FlowFile
from vidcorr.flow.config import FlowConfig
from vidcorr.flow.store import write_flow_file
from vidcorr.frames import VideoDecodeError, extract_video
from vidcorr.inference.config import PropagationConfig
from vidcorr.model import ResNet18Stride4, load_encoder, save_encoder
from vidcorr.settings_schema import FLOW_METHOD, PROPAGATION, TRAINING_STAGE, section
from vidcorr.train.config import TrainConfig

FLIPS, TRUNCATIONS = 30, 10


def _damaged(data: bytes, seed: int, positions=None):
    """(label, bytes): one byte XOR 0x55 at FLIPS seeded offsets (from `positions` if given), and the
    first k/TRUNCATIONS of the file for k = 0 .. TRUNCATIONS-1."""
    rng = np.random.default_rng(seed)
    pool = np.arange(len(data)) if positions is None else np.asarray(positions)
    for i in rng.choice(pool, size=min(FLIPS, len(pool)), replace=False):
        b = bytearray(data)
        b[i] ^= 0x55
        yield f"flip@{i}", bytes(b)
    for k in range(TRUNCATIONS):
        yield f"cut@{k}/{TRUNCATIONS}", data[: len(data) * k // TRUNCATIONS]


def _report(what: str, outcomes: dict) -> None:
    print(f"\nfuzz {what}: {sum(outcomes.values())} cases {outcomes}")


def _payload_free_offsets(path: Path) -> list[int]:
    """Offsets outside the packets' payload and outside an MP4 edit list (`elst`, whose every value is a
    valid instruction to skip frames, as real clips use it)."""
    with av.open(str(path)) as c:
        spans = [(p.pos, p.pos + p.size) for p in c.demux(c.streams.video[0]) if p.size]
    data = path.read_bytes()
    at = data.find(b"elst")
    if at >= 4:
        spans.append((at - 4, at - 4 + int.from_bytes(data[at - 4:at], "big")))
    return [i for i in range(len(data)) if not any(a <= i < b for a, b in spans)]


@pytest.mark.parametrize("name, faststart", [("front.mp4", True), ("end.mp4", False), ("clip.avi", False)])
def test_videos(tmp_path, name, faststart):
    clean = write_clip(tmp_path / name, n=12, faststart=faststart)
    ref = extract_video(clean, tmp_path / "ref")
    ref_bytes = [p.read_bytes() for p in sorted((tmp_path / "ref").glob("*.jpg"))]
    outcomes = {"error": 0, "same": 0}
    for label, data in _damaged(clean.read_bytes(), 1, _payload_free_offsets(clean)):
        bad = tmp_path / "bad" / name
        bad.parent.mkdir(exist_ok=True)
        bad.write_bytes(data)
        out = tmp_path / "frames" / label.replace("/", "-")
        try:
            m = extract_video(bad, out)
        except VideoDecodeError as e:
            assert str(bad) in str(e), label
            assert not out.exists() and not list(out.parent.glob(f".{out.name}.tmp-*")), label
            outcomes["error"] += 1
            continue
        got = [p.read_bytes() for p in sorted(out.glob("*.jpg"))]
        assert m["num_frames"] == ref["num_frames"] and got == ref_bytes, f"{label}: damaged frames extracted"
        outcomes["same"] += 1
    _report(f"video {name}", outcomes)


def test_label_pngs(tmp_path):
    clean = tmp_path / "mask.png"
    ids = two_objects()
    write_label(clean, ids)
    outcomes = {"error": 0, "same": 0}
    for label, data in _damaged(clean.read_bytes(), 2):
        bad = tmp_path / "bad.png"
        bad.write_bytes(data)
        try:
            got = read_label(bad)
        except ValueError as e:
            assert str(bad) in str(e), label
            outcomes["error"] += 1
            continue
        assert np.array_equal(got, ids), f"{label}: damaged labels read"
        outcomes["same"] += 1
    _report("label PNG", outcomes)


@pytest.mark.parametrize("compression", ["blosc-lz4hc", "gzip"])
def test_flow_files(tmp_path, compression):
    rng = np.random.default_rng(0)
    fields = [rng.normal(scale=3, size=(2, 12, 16)).astype(np.float32) for _ in range(3)]
    clean = tmp_path / "v.h5"
    with write_flow_file(clean, num_frames=4, height=12, width=16, gaps=[1], compression=compression,
                         attrs={"video": "v"}) as w:
        for t, f in enumerate(fields):
            w.write(1, t, f)
    expected = [FlowFile(clean).field(t, 1) for t in range(3)]
    outcomes = {"error": 0, "same": 0}
    for label, data in _damaged(clean.read_bytes(), 3):
        bad = tmp_path / "bad.h5"
        bad.write_bytes(data)
        try:
            ff = FlowFile(bad)
            got = [ff.field(t, 1) for t in range(3)]
            ff.close()
        except (ValueError, KeyError) as e:
            assert str(bad) in str(e), f"{label}: {e}"
            outcomes["error"] += 1
            continue
        assert all(np.array_equal(a, b) for a, b in zip(got, expected)), f"{label}: damaged flow read"
        outcomes["same"] += 1
    _report(f"flow HDF5 ({compression})", outcomes)


def test_checkpoints(tmp_path):
    clean = tmp_path / "enc.pt"
    torch.manual_seed(0)
    save_encoder(clean, ResNet18Stride4(layer4=False))
    expected = load_encoder(clean).state_dict()
    outcomes = {"error": 0, "same": 0}
    cases = list(_damaged(clean.read_bytes(), 4))
    cases.append(("objects", pickle.dumps({"encoder": {}, "hook": print})))
    for label, data in cases:
        bad = tmp_path / "bad.pt"
        bad.write_bytes(data)
        try:
            got = load_encoder(bad).state_dict()
        except ValueError as e:
            assert str(bad) in str(e) and "weights_only" not in str(e), f"{label}: {e}"
            outcomes["error"] += 1
            continue
        assert all(torch.equal(got[k], expected[k]) for k in expected), f"{label}: damaged weights loaded"
        outcomes["same"] += 1
    _report("checkpoint", outcomes)


def _bad_values(rule: dict) -> list:
    """Values the schema rule must refuse: a wrong type, and each bound or enum overstepped."""
    types = rule.get("type", [])
    types = [types] if isinstance(types, str) else types
    bad = [{"unexpected": "object"}] if "enum" in rule or types else []
    if "enum" in rule:
        bad.append(f"not-{rule['enum'][0]}")
    if "minimum" in rule:
        bad.append(rule["minimum"] - 1)
    if "exclusiveMinimum" in rule:
        bad.append(rule["exclusiveMinimum"])
    if "maximum" in rule:
        bad.append(rule["maximum"] + 1)
    if "exclusiveMaximum" in rule:
        bad.append(rule["exclusiveMaximum"])
    if "array" in types:
        bad.append("not a list")
        item = rule.get("items", {})
        bad += [[v] for v in _bad_values(item) if not isinstance(v, dict)]
    if "boolean" in types:
        bad.append("yes")
    return bad


@pytest.mark.parametrize("cls, pointer, what", [
    (TrainConfig, TRAINING_STAGE, "training"), (PropagationConfig, PROPAGATION, "propagation"),
    (FlowConfig, FLOW_METHOD, "flow")])
def test_settings_out_of_range_or_of_the_wrong_type(cls, pointer, what):
    count = 0
    for key, rule in section(pointer)["properties"].items():
        for value in _bad_values(rule):
            with pytest.raises(ValueError, match=f"{what} setting {key}"):
                cls.from_dict({key: value})
            count += 1
    assert count >= len(section(pointer)["properties"])  # every setting has at least its wrong type
    _report(f"{what} settings", {"error": count})


@pytest.mark.parametrize("suffix, make, message", [
    (".png", lambda: Image.fromarray(np.full((12, 16, 3), 7, np.uint8)), "not in the DAVIS palette"),
    (".png", lambda: Image.fromarray(np.full((12, 16), 300, np.uint16)), "ids above 255"),
    (".tif", lambda: Image.fromarray(np.zeros((12, 16), np.float32)), "unsupported label image mode"),
    (".tif", lambda: Image.new("CMYK", (16, 12)), "unsupported label image mode"),
])
def test_label_modes(tmp_path, suffix, make, message):
    path = tmp_path / f"mask{suffix}"
    make().save(path)
    with pytest.raises(ValueError, match=message):
        read_label(path)


def test_a_label_of_another_size_than_its_frame(tmp_path):
    root = make_davis(tmp_path / "d")
    write_label(root / "Annotations/480p/seq/00001.png", np.zeros((6, 8), np.uint8))
    with pytest.raises(ValueError, match=r"00001.png is 8x6 but frame .*00001.jpg is 16x12"):
        open_dataset("davis", root).sequence("seq").read_label(1)


@pytest.mark.parametrize("content", ["", "\n\n", "   \n\t\n"])
def test_empty_lists(tmp_path, content):
    root = make_davis(tmp_path / "d")
    (root / "ImageSets/2017/val.txt").write_text(content)
    with pytest.raises(DatasetLayoutError, match="val.txt: lists no sequence"):
        open_dataset("davis", root)
    vip, _ = make_vip(tmp_path / "v")
    (vip / "lists/val_id.txt").write_text(content)
    with pytest.raises(DatasetLayoutError, match="val_id.txt: lists no sequence"):
        open_dataset("vip", vip)


def test_entry_points_on_damaged_files(tmp_path):
    """The commands a rule runs: exit 1, the file named, no traceback, no output."""
    clip = write_clip(tmp_path / "clip.mp4", n=8, faststart=True)
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    ckpt = tmp_path / "enc.pt"
    save_encoder(ckpt, ResNet18Stride4(layer4=False))
    ckpt.write_bytes(ckpt.read_bytes()[:-100])
    data = index(tmp_path / "d.json", "davis", make_davis(tmp_path / "d"))
    preds = tmp_path / "preds/seq"
    preds.mkdir(parents=True)
    for i in range(3):
        write_label(preds / f"{i:05d}.png", two_objects())
    (preds / "00001.png").write_bytes((preds / "00001.png").read_bytes()[:60])
    cases = [
        (clip, ["vidcorr", "frames", "--video", str(clip), "--out", str(tmp_path / "o1")], tmp_path / "o1"),
        (ckpt, ["vidcorr", "propagate", "--index", data, "--checkpoint", str(ckpt), "--out", str(tmp_path / "o2"),
                "--device", "cpu"], tmp_path / "o2"),
        (preds / "00001.png", ["vidcorr", "evaluate", "--index", data, "--results", str(preds.parent),
                               "--out", str(tmp_path / "o3.csv")], tmp_path / "o3.csv"),
    ]
    for path, cmd, out in cases:
        proc = run(cmd, check=False)
        assert proc.returncode == 1 and str(path) in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert not out.exists()
    _report("command lines", {"error": len(cases)})
