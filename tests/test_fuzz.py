"""Fuzz pass: generated bad inputs for every reader and for the command-line entry points.

Each case must end in one of two ways: the output the undamaged input gives, or the module's own
error naming the file (or setting), with nothing partial left. Damage is one flipped byte at seeded
offsets, or a truncation at evenly spaced lengths. For videos the flips avoid the packets' payload
and MP4 edit lists: a damaged byte there can still form a valid file, which no decoder can tell from
content (docs/results/2026-11-25.md, "Frames", measures how often on real clips).
`pytest tests/test_fuzz.py -s` prints how many cases each part tries.
"""

from __future__ import annotations

import os
import pickle
import shutil
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


# Where an MP4 says how to show its frames, with values that are all valid instructions, as real
# clips use them: the edit list (`elst`: skip frames), and the movie's and the track's display
# matrices, the track's display size and the sample entry's size, from which a player (and FFmpeg)
# takes the pixel aspect ratio that stretches each frame. (box, start, end) within a version-0 box,
# 12 bytes later in version 1. (An implausible ratio is refused: test_an_anamorphic_video_...)
SHOWING_FIELDS = ((b"elst", 0, None), (b"mvhd", 44, 80), (b"tkhd", 48, 92), (b"mp4v", 32, 36),
                  (b"avc1", 32, 36))


def _payload_free_offsets(path: Path) -> list[int]:
    """Offsets outside the packets' payload and outside the fields that say how to show the frames."""
    with av.open(str(path)) as c:
        spans = [(p.pos, p.pos + p.size) for p in c.demux(c.streams.video[0]) if p.size]
    data = path.read_bytes()
    for tag, start, end in SHOWING_FIELDS:
        at = data.find(tag) - 4
        if at >= 0:
            size = int.from_bytes(data[at:at + 4], "big")
            shift = 12 if data[at + 8] == 1 else 0
            spans.append((at + start + shift, at + size if end is None else at + end + shift))
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


def _one_line_error(proc, names: str) -> None:
    """Exit 1, one `vidcorr <cmd>: error:` line on stderr that names `names`, and no traceback."""
    errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert proc.returncode == 1 and len(errors) == 1 and names in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


def test_structured_files_damaged_or_foreign(tmp_path):
    """Index JSON and settings YAML: missing, a folder, truncated, foreign, binary: one line naming the file."""
    good = Path(index(tmp_path / "d.json", "davis", make_davis(tmp_path / "d"))).read_bytes()
    cases = {"missing.json": None, "folder.json": "dir", "list.json": b"[1, 2]", "other.json": b'{"a": 1}',
             "binary.json": bytes(range(256))}
    for k in range(1, TRUNCATIONS):
        cases[f"cut{k}.json"] = good[: len(good) * k // TRUNCATIONS]
    outcomes = {"error": 0}
    for name, data in cases.items():
        path = tmp_path / "cases" / name
        path.parent.mkdir(exist_ok=True)
        if data == "dir":
            path.mkdir()
        elif data is not None:
            path.write_bytes(data)
        proc = run(["vidcorr", "propagate", "--index", str(path), "--checkpoint", "lab", "--out",
                    str(tmp_path / "out" / name)], check=False)
        _one_line_error(proc, str(path))
        assert not (tmp_path / "out" / name).exists()
        outcomes["error"] += 1
    data = index(tmp_path / "ok.json", "davis", make_davis(tmp_path / "d2"))
    for name, text in {"tab.yaml": "propagation:\n\tradius: 3\n", "open.yaml": "propagation: {radius: 3\n",
                       "list.yaml": "- 1\n- 2\n"}.items():
        cfg = tmp_path / name
        cfg.write_text(text)
        proc = run(["vidcorr", "propagate", "--index", data, "--checkpoint", "lab", "--config", str(cfg),
                    "--out", str(tmp_path / "o" / name)], check=False)
        _one_line_error(proc, str(cfg))
        outcomes["error"] += 1
    _report("structured files", outcomes)


def test_cli_boundary_one_line_and_the_traceback_only_on_request(tmp_path, monkeypatch):
    """OS errors (an output that is a file where a folder is expected, a folder given as a file) end in
    one line naming the path; --debug and VIDCORR_DEBUG=1 show the traceback."""
    data = index(tmp_path / "d.json", "davis", make_davis(tmp_path / "d"))
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    cases = [
        (["vidcorr", "propagate", "--index", data, "--checkpoint", "lab", "--out", str(blocker / "out")], str(blocker)),
        (["vidcorr", "propagate", "--index", data, "--checkpoint", str(tmp_path), "--out", str(tmp_path / "o")],
         str(tmp_path)),
        (["vidcorr", "evaluate", "--index", data, "--results", str(blocker), "--out", str(tmp_path / "m.csv")],
         str(blocker)),
    ]
    for cmd, names in cases:
        _one_line_error(run(cmd, check=False), names)
    proc = run(["vidcorr", "--debug", *cases[0][0][1:]], check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    monkeypatch.setenv("VIDCORR_DEBUG", "1")
    assert "Traceback" in run(cases[0][0], check=False).stderr
    _report("command-line boundary", {"error": len(cases), "traceback on request": 2})


# --- labels people actually make (issue 30, class 1) -------------------------------------------------

def _blob(rng, h: int = 96, w: int = 128) -> np.ndarray:
    """A 0/255 mask: one random ellipse, as people draw binary masks."""
    import cv2

    m = np.zeros((h, w), np.uint8)
    centre = (int(rng.integers(w // 4, 3 * w // 4)), int(rng.integers(h // 4, 3 * h // 4)))
    axes = (int(rng.integers(10, w // 4)), int(rng.integers(10, h // 4)))
    cv2.ellipse(m, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return m


def _smoothers():
    """Ways a 0/255 mask gets smoothed edges: resized down and up with a smoothing filter."""
    import cv2

    def resized(interp, down):
        def f(m):
            h, w = m.shape
            small = cv2.resize(m, (int(w * down), int(h * down)), interpolation=cv2.INTER_AREA)
            return cv2.resize(small, (w, h), interpolation=interp)
        return f
    return {f"{name}x{down}": resized(i, down) for name, i in
            (("linear", cv2.INTER_LINEAR), ("cubic", cv2.INTER_CUBIC), ("lanczos", cv2.INTER_LANCZOS4))
            for down in (0.5, 0.75)}


def test_smoothed_binary_masks_read_as_their_object_everywhere(tmp_path):
    """A 0/255 mask resized with a smoothing filter is one object, in read_label (index, propagate,
    evaluate) and read_user_mask (track) alike; a smoothed mask of several grey objects is refused."""
    from vidcorr.datasets.masks import read_user_mask

    rng = np.random.default_rng(0)
    outcomes = {"one object": 0, "refused": 0}
    for case in range(8):
        truth = _blob(rng)
        for name, smooth in _smoothers().items():
            path = tmp_path / f"{case}-{name}.png"
            Image.fromarray(smooth(truth)).save(path)
            ids = read_label(path)
            assert set(np.unique(ids).tolist()) == {0, 1}, (path, np.unique(ids))
            inter, union = ((ids == 1) & (truth == 255)).sum(), ((ids == 1) | (truth == 255)).sum()
            assert inter / union >= 0.95, (path, inter / union)
            assert np.array_equal(read_user_mask(path)[0], ids)
            outcomes["one object"] += 1
        multi = np.where(_blob(rng) == 255, 100, truth).astype(np.uint8)  # a second object, grey level 100
        path = tmp_path / f"{case}-multi.png"
        Image.fromarray(next(iter(_smoothers().values()))(multi)).save(path)
        with pytest.raises(ValueError, match=str(path)):
            read_label(path)
        outcomes["refused"] += 1
    _report("smoothed grey masks", outcomes)


def _davis(root: Path, masks: list[np.ndarray], mode: str = "P") -> Path:
    """A DAVIS layout of one sequence `seq` of 96 x 128 frames, each object id in its own colour (a grey
    mask: one object, where it is at least 128)."""
    colours = {1: (230, 60, 60), 2: (60, 200, 60), 3: (60, 60, 230)}
    for i, m in enumerate(masks):
        ids = (m >= 128).astype(np.uint8) if mode == "L" else m
        img = np.full((*m.shape, 3), 40, np.uint8)
        for k, c in colours.items():
            img[ids == k] = c
        (root / "JPEGImages/480p/seq").mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(root / f"JPEGImages/480p/seq/{i:05d}.jpg", quality=95)
        path = root / f"Annotations/480p/seq/{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_label(path, m) if mode == "P" else Image.fromarray(m).save(path)
    (root / "ImageSets/2017").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets/2017/val.txt").write_text("seq\n")
    return root


def test_void_empty_and_gapped_first_masks_through_index_propagate_and_evaluate(tmp_path):
    """DAVIS's void 255 in the first mask is not an object (the evaluator accepts the propagation's own
    output); a first mask with no object is refused at indexing, naming it; ids with gaps (1 and 3)
    are scored as the official evaluator does (the absent id 2 is an empty object)."""
    rng = np.random.default_rng(1)
    base = _blob(rng)
    void = np.where(base == 255, 1, 0).astype(np.uint8)
    void[:4] = 255
    gapped = np.where(base == 255, 3, 0).astype(np.uint8)
    gapped[:10, :10] = 1
    smoothed = _smoothers()["linearx0.5"](base)
    outcomes = {"scored": 0, "refused": 0}
    for name, masks, mode in (("void", [void] * 4, "P"), ("gapped", [gapped] * 4, "P"), ("grey", [smoothed] * 4, "L")):
        root = _davis(tmp_path / name, masks, mode)
        data = tmp_path / f"{name}.json"
        run(["vidcorr", "index", "--type", "davis", "--root", str(root), "--options", '{"split": "val", "year": 2017}',
             "--out", str(data)])
        run(["vidcorr", "propagate", "--index", str(data), "--checkpoint", "lab", "--out", str(tmp_path / f"p-{name}"),
             "--device", "cpu"])
        run(["vidcorr", "evaluate", "--index", str(data), "--results", str(tmp_path / f"p-{name}"),
             "--out", str(tmp_path / f"{name}.csv")])
        glob = (tmp_path / f"{name}.csv").read_text().splitlines()[1].split(",")
        assert glob[0] == "global" and 0.8 <= float(glob[1]) <= 1.0, (name, glob)
        outcomes["scored"] += 1
    root = _davis(tmp_path / "empty", [np.zeros_like(base)] + [void] * 3)
    proc = run(["vidcorr", "index", "--type", "davis", "--root", str(root), "--options", '{"split": "val", "year": 2017}',
                "--out", str(tmp_path / "empty.json")], check=False)
    _one_line_error(proc, str(root / "Annotations/480p/seq/00000.png"))
    assert "holds no object" in proc.stderr and not (tmp_path / "empty.json").exists()
    outcomes["refused"] += 1
    _report("first masks", outcomes)


def test_two_propagations_into_one_folder_leave_one_whole_output(tmp_path):
    """Run at once, two methods' propagations into one folder leave one method's masks, all of them,
    under that method's provenance (issue 30, class 5)."""
    import json
    import subprocess

    from helpers import BIN

    rng = np.random.default_rng(2)
    data = tmp_path / "d.json"
    root = _davis(tmp_path / "d", [np.where(_blob(rng) == 255, 1, 0).astype(np.uint8) for _ in range(6)])
    run(["vidcorr", "index", "--type", "davis", "--root", str(root), "--options", '{"split": "val", "year": 2017}',
         "--out", str(data)])
    solo = {}
    for method in ("lab", "copy-first"):
        run(["vidcorr", "propagate", "--index", str(data), "--checkpoint", method, "--out", str(tmp_path / method)])
        solo[method] = {p.name: p.read_bytes() for p in sorted((tmp_path / method / "seq").iterdir())}
    assert solo["lab"] != solo["copy-first"]
    outcomes = {}
    for attempt in range(3):
        out = tmp_path / f"shared{attempt}"
        procs = [subprocess.Popen([str(BIN / "vidcorr"), "propagate", "--index", str(data), "--checkpoint", m,
                                   "--out", str(out)], stderr=subprocess.PIPE, text=True) for m in solo]
        assert all(p.wait(timeout=300) == 0 for p in procs)
        method = json.loads((out / "provenance.json").read_text())["checkpoint"]
        assert {p.name: p.read_bytes() for p in sorted((out / "seq").iterdir())} == solo[method]
        assert sorted(p.name for p in tmp_path.glob(f".{out.name}*")) == []
        outcomes[method] = outcomes.get(method, 0) + 1
    _report("concurrent outputs", outcomes)


def test_frames_are_read_in_name_order_and_a_misfit_frame_or_special_file_is_named(tmp_path):
    """Issue 30, class 3 and 4: 2.jpg before 10.jpg; a frame of another size, a FIFO named like a label
    and a split that lists a sequence twice are errors that name the file, never a hang or a traceback."""
    import os

    from vidcorr.datasets.base import sorted_images

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in (10, 2, 1, 33):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / f"{i}.jpg")
    assert [p.stem for p in sorted_images(folder)] == ["1", "2", "10", "33"]
    outcomes = {"error": 0}
    rng = np.random.default_rng(3)
    masks = [np.where(_blob(rng) == 255, 1, 0).astype(np.uint8) for _ in range(4)]
    odd = _davis(tmp_path / "odd", masks)
    Image.fromarray(np.zeros((90, 128, 3), np.uint8)).save(odd / "JPEGImages/480p/seq/00002.jpg")
    data = tmp_path / "odd.json"
    run(["vidcorr", "index", "--type", "davis", "--root", str(odd), "--options", '{"split": "val", "year": 2017}',
         "--out", str(data)])
    proc = run(["vidcorr", "propagate", "--index", str(data), "--checkpoint", "lab", "--out", str(tmp_path / "p")],
               check=False)
    _one_line_error(proc, str(odd / "JPEGImages/480p/seq/00002.jpg"))
    assert not (tmp_path / "p").exists()
    outcomes["error"] += 1
    fifo = _davis(tmp_path / "fifo", masks)
    (fifo / "Annotations/480p/seq/00003.png").unlink()
    os.mkfifo(fifo / "Annotations/480p/seq/00003.png")
    twice = _davis(tmp_path / "twice", masks)
    (twice / "ImageSets/2017/val.txt").write_text("seq\nseq\n")
    for root, names in ((fifo, fifo / "Annotations/480p/seq/00003.png"), (twice, twice / "ImageSets/2017/val.txt")):
        proc = subprocess_run(["vidcorr", "index", "--type", "davis", "--root", str(root), "--options",
                               '{"split": "val", "year": 2017}', "--out", str(tmp_path / "x.json")])
        _one_line_error(proc, str(names))
        outcomes["error"] += 1
    _report("frames and lists", outcomes)


def subprocess_run(cmd: list[str], timeout: float = 120):
    """`run` with a deadline: a reader that blocks (on a FIFO) fails the test instead of hanging it."""
    import os
    import subprocess

    from helpers import BIN

    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def test_checkpoints_of_the_wrong_structure_or_with_nan_weights_are_named(tmp_path):
    """Issue 30, class 4: a checkpoint whose 'encoder' is not weights, whose weights do not fit its
    config, or that holds NaN; an --init that does not fit: one error naming the file."""
    from vidcorr.model import read_checkpoint
    from vidcorr.model.checkpoint import encoder_config
    from vidcorr.train.loop import _load_init

    enc = ResNet18Stride4(layer4=False)
    good = {"encoder": enc.state_dict(), "encoder_config": encoder_config(enc)}
    nan = {k: v.clone() for k, v in good["encoder"].items()}
    nan["conv1.weight"][0, 0, 0, 0] = float("nan")
    cases = {"list.pt": {"encoder": [1, 2]}, "cfg.pt": {**good, "encoder_config": "resnet"},
             "misfit.pt": {**good, "encoder_config": {**good["encoder_config"], "layer4": True}},
             "nan.pt": {**good, "encoder": nan}}
    data = index(tmp_path / "d.json", "davis", make_davis(tmp_path / "d"))
    for name, state in cases.items():
        torch.save(state, tmp_path / name)
        proc = run(["vidcorr", "propagate", "--index", data, "--checkpoint", str(tmp_path / name), "--out",
                    str(tmp_path / f"o-{name}")], check=False)
        _one_line_error(proc, str(tmp_path / name))
    with pytest.raises(ValueError, match="NaN or infinity"):
        read_checkpoint(tmp_path / "nan.pt")
    save_encoder(tmp_path / "head.pt", ResNet18Stride4(head="mast"))
    with pytest.raises(ValueError, match=f"initial checkpoint {tmp_path / 'head.pt'} does not fit"):
        _load_init(ResNet18Stride4(), tmp_path / "head.pt")
    proc = run(["vidcorr", "frames", "--video", "x.mp4", "--out", str(tmp_path / "f"), "--short-side", "-3"],
               check=False)
    _one_line_error(proc, "short_side")
    _report("checkpoints and arguments", {"error": len(cases) + 3})


def test_ground_truth_and_metadata_that_contradict_themselves(tmp_path):
    """Issue 30, class 2: NaN or degenerate JHMDB joints, VIP instance tables with a category out of
    range, a NaN score or an id twice, YouTube-VOS meta.json and annotations that disagree: each is
    an error naming its file, never a frame of misses, a dropped instance or a vanished object."""
    import json

    import scipy.io

    from helpers.layouts import make_jhmdb, make_ytvos
    from vidcorr.datasets.index import build_index
    from vidcorr.datasets.vip import read_instances

    outcomes = {"error": 0}
    for name, change in (("nan", lambda p: p.__setitem__((0, 3, 1), np.nan)),
                         ("flat", lambda p: p.__setitem__((slice(None), slice(None), 2), 5.0))):
        root, pos = make_jhmdb(tmp_path / f"jhmdb-{name}")
        mat = root / "joint_positions/run/clip_b/joint_positions.mat"
        pos = pos.copy()
        change(pos)
        scipy.io.savemat(mat, {"pos_img": pos})
        with pytest.raises(DatasetLayoutError, match=str(mat)):
            open_dataset("jhmdb", root, split=1, subset="test").sequence("run/clip_b")
        outcomes["error"] += 1
    root, _ = make_jhmdb(tmp_path / "jhmdb-line")
    (root / "splits/run_test_split1.txt").write_text("clip_a.avi 1\nclip_b.avi test\n")
    with pytest.raises(DatasetLayoutError, match="line 2 is 'clip_b.avi test'"):
        open_dataset("jhmdb", root, split=1, subset="test")
    outcomes["error"] += 1
    png = tmp_path / "vip/00000.png"
    png.parent.mkdir()
    ids = np.zeros((8, 8), np.uint8)
    ids[:4] = 1
    ids[4:] = 2
    write_label(png, ids)
    for table, what in (("1 3 0\n2 25 0\n", "category 25"), ("1 3 0\n1 4 0\n2 4 0\n", "listed twice")):
        png.with_suffix(".txt").write_text(table)
        with pytest.raises(DatasetLayoutError, match=what):
            read_instances(png)
        outcomes["error"] += 1
    from vidcorr.datasets.vip import instance_table

    png.with_suffix(".txt").write_text("1 3 nan\n2 4 0.5\n")
    with pytest.raises(ValueError, match="score nan is not a finite number"):
        instance_table(png.with_suffix(".txt"), float, "id category score")
    outcomes["error"] += 1
    for name, edit in (("absent", lambda m: m["videos"]["vid1"]["objects"].__setitem__(
                            "3", {"category": "cow", "frames": ["00000"]})),
                       ("unlisted", lambda m: m["videos"]["vid1"]["objects"].pop("2"))):
        root = make_ytvos(tmp_path / f"yt-{name}")
        meta_path = root / "valid/meta.json"
        meta = json.loads(meta_path.read_text())
        edit(meta)
        meta_path.write_text(json.dumps(meta))
        with pytest.raises(DatasetLayoutError, match="meta.json"):
            build_index("ytvos", root, {"split": "valid"})
        outcomes["error"] += 1
    _report("contradicting ground truth", outcomes)


def test_vip_list_lines_that_name_absent_frames_or_are_not_understood(tmp_path):
    from helpers.layouts import make_vip

    outcomes = {"error": 0}
    for n, (content, what) in enumerate((("videos2/000000000000\nvideos2/000000000009\n", "line 2 names frame"),
                                         ("videos2/a/b\n", "line 1 is 'videos2/a/b'"),
                                         ("videos1\nvideos1\n", "more than once"))):
        vip, _ = make_vip(tmp_path / f"vip{n}")
        (vip / "lists/val_id.txt").write_text(content)
        with pytest.raises(DatasetLayoutError, match=what):
            open_dataset("vip", vip)
        outcomes["error"] += 1
    _report("VIP lists", outcomes)


def test_a_flow_file_of_another_length_than_its_video_is_named(tmp_path):
    """Issue 30, class 4: flow for 4 frames used with a video of 6 would pair frames with the wrong motion."""
    import json

    from vidcorr.flow import FlowReader
    from vidcorr.train.data import PairDataset, Video

    frames = []
    for i in range(6):
        frames.append(tmp_path / f"v/{i:05d}.jpg")
        frames[-1].parent.mkdir(exist_ok=True)
        Image.fromarray(np.zeros((12, 16, 3), np.uint8)).save(frames[-1])
    with write_flow_file(tmp_path / "flow/videos/v.h5", num_frames=4, height=12, width=16, gaps=[1]) as w:
        for t in range(3):
            w.write(1, t, np.zeros((2, 12, 16), np.float32))
    (tmp_path / "flow/index.json").write_text(json.dumps({"files": {"v": "videos/v.h5"}}))
    with pytest.raises(ValueError, match=r"flow file .*v.h5 covers 4 frames but video v has 6"):
        PairDataset([Video("d", "v", frames)], crop=16, max_gap=2, length=4, seed=0,
                    flow={"d": FlowReader(tmp_path / "flow/index.json")})
    _report("flow against frames", {"error": 1})


def test_damaged_keypoint_predictions_are_named(tmp_path):
    """Issue 30, class 4: a truncated or flipped keypoints.npy is an error naming it (or, where the
    damage leaves a valid array, the same scores)."""
    from helpers.layouts import make_jhmdb
    from vidcorr.metrics.jhmdb import evaluate_jhmdb

    root, pos = make_jhmdb(tmp_path / "jhmdb")
    reader = open_dataset("jhmdb", root, split=1, subset="test")
    pred_dir = tmp_path / "pred/run/clip_b"
    pred_dir.mkdir(parents=True)
    clean = pos.transpose(2, 1, 0) - 1.0 + 0.5
    np.save(pred_dir / "keypoints.npy", clean)
    data = (pred_dir / "keypoints.npy").read_bytes()
    expected = evaluate_jhmdb(reader, tmp_path / "pred").pck(0.1)
    outcomes = {"error": 0, "same": 0}
    for label, bad in _damaged(data, 5):
        (pred_dir / "keypoints.npy").write_bytes(bad)
        try:
            got = evaluate_jhmdb(reader, tmp_path / "pred").pck(0.1)
        except ValueError as e:
            assert str(pred_dir / "keypoints.npy") in str(e), f"{label}: {e}"
            outcomes["error"] += 1
            continue
        assert np.isfinite(got), label
        key = "same" if got == expected else "another valid array (a flipped data byte: .npy has no checksum)"
        outcomes[key] = outcomes.get(key, 0) + 1
    _report("keypoint predictions", outcomes)


def test_an_anamorphic_video_is_read_as_a_player_shows_it(tmp_path):
    """Issue 30, class 3: a stream whose sample aspect ratio is 4/3 (64 x 48 coded) shows 85 x 48;
    `vidcorr frames` and `vidcorr track`'s reader both give that."""
    import fractions

    from vidcorr.frames.decode import decode_video

    path = tmp_path / "anamorphic.mp4"
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.sample_aspect_ratio = fractions.Fraction(4, 3)
        for i in range(6):
            img = np.zeros((48, 64, 3), np.uint8)
            img[:, : 8 + 4 * i] = 200
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    frames = list(decode_video(path))
    assert len(frames) == 6 and all(f.shape == (48, 85, 3) for f in frames)
    run(["vidcorr", "frames", "--video", str(path), "--out", str(tmp_path / "f")])
    assert Image.open(tmp_path / "f" / sorted(p.name for p in (tmp_path / "f").glob("*.jpg"))[0]).size == (85, 48)
    with av.open(str(path)) as c:
        assert c.streams.video[0].sample_aspect_ratio == fractions.Fraction(4, 3)
    damaged = tmp_path / "stretched.mp4"  # the sample entry's height byte flipped: a ratio of about 450
    write_clip(damaged, n=4)
    data = bytearray(damaged.read_bytes())
    data[data.find(b"mp4v") - 4 + 34] ^= 0x55
    damaged.write_bytes(bytes(data))
    with pytest.raises(VideoDecodeError, match="sample aspect ratio"):
        list(decode_video(damaged))
    _report("display aspect", {"read as shown": 2, "error": 1})


def _writers(tmp_path: Path) -> dict[str, tuple[list[str], Path]]:
    """Each command that writes an output: (its arguments without --out, the output it would write)."""
    (tmp_path / "in").mkdir()
    clip = write_clip(tmp_path / "in" / "clip.mp4", n=8)
    rng = np.random.default_rng(5)
    root = _davis(tmp_path / "in" / "d", [np.where(_blob(rng) == 255, 1, 0).astype(np.uint8) for _ in range(4)])
    data = tmp_path / "in" / "d.json"
    run(["vidcorr", "index", "--type", "davis", "--root", str(root), "--options", '{"split": "val", "year": 2017}',
         "--out", str(data)])
    out = tmp_path / "out"
    return {"frames": (["frames", "--video", str(clip)], out / "frames"),
            "synth": (["synth", "--sequences", "1", "--frames", "4"], out / "synth"),
            "index": (["index", "--type", "davis", "--root", str(root), "--options",
                       '{"split": "val", "year": 2017}'], out / "index.json"),
            "propagate": (["propagate", "--index", str(data), "--checkpoint", "lab"], out / "masks")}


def _drop_root_override() -> None:
    """In a child process, before it runs the command: take CAP_DAC_OVERRIDE out of the bounding set,
    so that root, too, may not write into a folder of mode 0o555 after execve."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(24, 1, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_DAC_OVERRIDE
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _unwritable_run(args: list[str], out: Path, limit: int | None = None):
    """Run `vidcorr ARGS --out OUT` with files capped at `limit` bytes (a disk that fills up), or, as
    root, without the right to write where the permissions say no."""
    import resource
    import signal
    import subprocess

    from helpers import BIN

    def cap():
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the cap then fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        elif os.geteuid() == 0:
            _drop_root_override()

    return subprocess.run([str(BIN / "vidcorr"), *args, "--out", str(out)], preexec_fn=cap, capture_output=True,
                          text=True, timeout=300)


def _left_behind(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(f"*{out.stem}*")) if out.parent.exists() else []


def test_a_full_disk_gives_one_line_and_leaves_nothing(tmp_path):
    """Issue 30, class 5: a disk that fills up after 0 .. 64 KiB ends every writing command with one line
    naming the output (or the file it was writing), and no partial output."""
    outcomes = {"error": 0, "whole": 0}
    for name, (args, out) in _writers(tmp_path).items():
        out.parent.mkdir(exist_ok=True)
        for limit in (0, 300, 4096, 65536):
            proc = _unwritable_run(args, out, limit=limit)
            if proc.returncode == 0:  # it fitted: the output is whole
                assert out.exists(), (name, limit)
                outcomes["whole"] += 1
                shutil.rmtree(out) if out.is_dir() else out.unlink()
                continue
            lines = [line for line in proc.stderr.splitlines() if line.startswith("vidcorr ")]  # not progress bars
            assert proc.returncode == 1 and len(lines) == 1 and "Traceback" not in proc.stderr, (name, limit, proc.stderr)
            assert str(out) in lines[0] or str(out.parent) in lines[0], (name, limit, lines[0])
            assert _left_behind(out) == [], (name, limit, _left_behind(out))
            outcomes["error"] += 1
    _report("full disk", outcomes)


def test_a_read_only_folder_gives_one_line_naming_it(tmp_path):
    """Issue 30, class 5: a folder the command may not write into (root runs the commands without
    CAP_DAC_OVERRIDE, so the folder's mode holds for it too)."""
    outcomes = {"error": 0}
    for name, (args, out) in _writers(tmp_path).items():
        out.parent.mkdir(exist_ok=True)
        os.chmod(out.parent, 0o555)
        try:
            proc = _unwritable_run(args, out)
        finally:
            os.chmod(out.parent, 0o755)
        lines = [line for line in proc.stderr.splitlines() if line.startswith("vidcorr ")]
        assert proc.returncode == 1 and len(lines) == 1 and "Traceback" not in proc.stderr, (name, proc.stderr)
        assert str(out.parent) in lines[0] and "ermission denied" in lines[0], (name, lines[0])
        assert list(out.parent.iterdir()) == [], name
        outcomes["error"] += 1
    _report("read-only folder", outcomes)
