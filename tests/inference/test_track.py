"""`vidcorr track` and vidcorr.api: your own video from one mask, through the benchmarks' engine."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from helpers import index, run, shared
from vidcorr.datasets.masks import davis_palette, read_label, read_user_mask

SETTINGS = "propagation:\n  input_scale: 0.5\n  short_term: 3\n"
FRAMES = 6


def _bear(tmp_path: Path) -> tuple[list[np.ndarray], np.ndarray, Path]:
    """The first frames of DAVIS bear (decoded JPEGs), its frame-0 mask, and a DAVIS layout of them."""
    src = shared("davis2016-train20")
    root = tmp_path / "davis"
    (root / "JPEGImages/480p/bear").mkdir(parents=True)
    (root / "Annotations/480p/bear").mkdir(parents=True)
    (root / "ImageSets/2017").mkdir(parents=True)
    (root / "ImageSets/2017/val.txt").write_text("bear\n")
    for i in range(FRAMES):
        shutil.copy(src / f"JPEGImages/480p/bear/{i:05d}.jpg", root / f"JPEGImages/480p/bear/{i:05d}.jpg")
    shutil.copy(src / "Annotations/480p/bear/00000.png", root / "Annotations/480p/bear/00000.png")
    frames = [np.asarray(Image.open(root / f"JPEGImages/480p/bear/{i:05d}.jpg").convert("RGB")) for i in range(FRAMES)]
    return frames, read_label(root / "Annotations/480p/bear/00000.png"), root


def _mp4(path: Path, frames: list[np.ndarray], codec: str = "libx264rgb", fps: int = 12) -> Path:
    """Encode frames; libx264rgb at qp 0 is lossless, so decoding gives the frames back exactly."""
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=fps)
        s.width, s.height = frames[0].shape[1], frames[0].shape[0]
        s.pix_fmt = "rgb24" if codec == "libx264rgb" else "yuv420p"
        s.options = {"qp": "0"} if codec == "libx264rgb" else {"crf": "18"}
        for f in frames:
            out.mux(s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        out.mux(s.encode())
    return path


def _track(tmp_path, video, mask, *extra, check=True):
    (tmp_path / "s.yaml").write_text(SETTINGS)
    return run(["vidcorr", "track", str(video), "--mask", str(mask), "--config", str(tmp_path / "s.yaml"), *extra],
               check=check)


def test_an_mp4_tracks_as_propagate_does_on_its_frame_folder(tmp_path):
    """A DAVIS sequence encoded losslessly to mp4 and tracked from frame 0 gives `vidcorr propagate`'s
    masks exactly; its overlay decodes to as many frames, at the video's rate."""
    frames, first, root = _bear(tmp_path)
    data = index(tmp_path / "d.json", "davis", root, split="val")
    (tmp_path / "s.yaml").write_text(SETTINGS)
    run(["vidcorr", "propagate", "--index", data, "--checkpoint", "lab", "--config", str(tmp_path / "s.yaml"),
         "--out", str(tmp_path / "prop")])
    _track(tmp_path, _mp4(tmp_path / "bear.mp4", frames), root / "Annotations/480p/bear/00000.png",
           "--out", str(tmp_path / "out"))
    for i in range(FRAMES):
        assert np.array_equal(read_label(tmp_path / f"out/masks/{i:05d}.png"), read_label(tmp_path / f"prop/bear/{i:05d}.png")), i
    with av.open(str(tmp_path / "out/overlay.mp4")) as c:
        assert sum(1 for _ in c.decode(video=0)) == FRAMES and float(c.streams.video[0].average_rate) == 12
    prov = json.loads((tmp_path / "out/provenance.json").read_text())
    assert (prov["command"], prov["frames"], prov["frame"], prov["objects"]) == ("track", FRAMES, 0, [1])
    with Image.open(tmp_path / "out/masks/00003.png") as im:  # indexed, the mask's palette, the input's size
        assert im.mode == "P" and im.size == (854, 480)


def test_a_middle_frame_reaches_both_ends_and_every_mask_form_agrees(tmp_path):
    """From frame 3 of a folder named 0.jpg .. 5.jpg (read 2 before 10, as a person reads them), the
    API and the command give every frame; an indexed PNG, a 0/255 grey mask and an RGB mask of
    any colour track alike, and the RGB colour is the output's palette."""
    from vidcorr.api import load_model, track

    frames, _, root = _bear(tmp_path)
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"{i}.png")
    ids = read_label(shared("davis2016-train20") / "Annotations/480p/bear/00003.png")
    got = track(np.stack(frames), ids, load_model("lab"), frame=3, input_scale=0.5, short_term=3)
    assert got.shape == (FRAMES, 480, 854) and np.array_equal(got[3], ids)
    for t in (0, FRAMES - 1):  # both ends reached, the bear still found
        truth = read_label(shared("davis2016-train20") / f"Annotations/480p/bear/{t:05d}.png")
        assert ((got[t] > 0) & (truth > 0)).sum() / ((got[t] > 0) | (truth > 0)).sum() > 0.8
    forms = {"indexed": ids, "grey": (ids * 255).astype(np.uint8), "rgb": np.where(ids[..., None] > 0, [200, 40, 170], 0)}
    for name, image in forms.items():
        if name == "indexed":
            im = Image.fromarray(image, mode="P")
            im.putpalette(davis_palette().reshape(-1).tolist())
        else:
            im = Image.fromarray(image.astype(np.uint8))
        im.save(tmp_path / f"{name}.png")
        _track(tmp_path, folder, tmp_path / f"{name}.png", "--frame", "3", "--out", str(tmp_path / name))
        for t in range(FRAMES):
            assert np.array_equal(read_label(tmp_path / f"{name}/masks/{t}.png"), got[t]), (name, t)
    with Image.open(tmp_path / "rgb/masks/0.png") as im:
        assert im.getpalette()[3:6] == [200, 40, 170]


def test_masks_people_make_are_read_or_refused_with_what_to_do(tmp_path):
    ids = np.zeros((40, 60), np.uint8)
    ids[10:30, 10:25], ids[5:20, 35:55] = 1, 2
    grey = (ids > 0).astype(np.uint8) * 255
    soft = grey.copy()
    soft[9, 10:25] = 100  # a smoothed edge's grey pixels (under half: background)
    Image.fromarray(soft).save(tmp_path / "soft.png")
    assert np.array_equal(read_user_mask(tmp_path / "soft.png")[0], (ids > 0).astype(np.uint8))  # snapped at 128
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[ids == 1], rgb[ids == 2] = (250, 10, 10), (10, 10, 250)
    rgb[9, 10:25] = (125, 5, 5)  # a one-pixel fringe of a darker red
    Image.fromarray(rgb).save(tmp_path / "fringe.png")
    with pytest.raises(ValueError, match=r"#7d0505.*lines one or two pixels wide.*nearest-neighbour"):
        read_user_mask(tmp_path / "fringe.png")
    small = grey.copy()
    small[32:37, 30:35] = 100  # a real small object at another grey level: kept, not thresholded away
    Image.fromarray(small).save(tmp_path / "small.png")
    assert sorted(np.unique(read_user_mask(tmp_path / "small.png")[0])) == [0, 1, 2]
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., :3] = 255  # a transparent white background
    rgba[ids > 0] = (250, 10, 10, 255)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    assert np.array_equal(read_user_mask(tmp_path / "rgba.png")[0], (ids > 0).astype(np.uint8))
    many = Image.frombytes("P", (60, 40), (np.arange(40 * 60) % 64).astype(np.uint8).tobytes())
    many.putpalette(davis_palette().reshape(-1).tolist())
    many.save(tmp_path / "many.png")  # an indexed PNG of 63 objects
    with pytest.raises(ValueError, match=r"63 distinct palette index values, not clean labels"):
        read_user_mask(tmp_path / "many.png")
    noisy = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(tmp_path / "noisy.png")
    with pytest.raises(ValueError, match=r"distinct colour values, not clean labels"):
        read_user_mask(tmp_path / "noisy.png")


def test_bad_inputs_are_named(tmp_path):
    frames, first, root = _bear(tmp_path)
    video = _mp4(tmp_path / "bear.mp4", frames[:3])
    mask = root / "Annotations/480p/bear/00000.png"
    small = np.zeros((100, 100), np.uint8)
    small[20:60, 20:60] = 255
    Image.fromarray(small).save(tmp_path / "small.png")
    Image.fromarray(np.zeros((480, 854), np.uint8)).save(tmp_path / "empty.png")
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep/notes.txt").write_text("mine")
    cases = [
        ((video, tmp_path / "small.png"), "small.png is 100x100 but the frames of .* are 854x480"),
        ((video, tmp_path / "empty.png"), "holds no object"),
        ((video, mask, "--frame", "7"), r"--frame 7: the video has frames 0 \.\. 2"),
        ((tmp_path / "broken.mp4", mask), "broken.mp4: not a readable video container"),
        ((tmp_path / "nowhere", mask), "nowhere does not exist"),
        ((video, tmp_path / "nomask.png"), "nomask.png: unreadable mask image"),
        ((video, mask, "--checkpoint", str(tmp_path / "no.pt")), r"checkpoint .*no\.pt does not exist"),
    ]
    for (source, m, *extra), message in cases:
        proc = _track(tmp_path, source, m, *extra, "--out", str(tmp_path / "out"), check=False)
        assert proc.returncode == 1 and __import__("re").search(message, proc.stderr), (message, proc.stderr)
        assert not (tmp_path / "out").exists()  # nothing partial
    proc = _track(tmp_path, video, mask, "--out", str(tmp_path / "keep"), check=False)
    assert proc.returncode == 1 and "holds other files" in proc.stderr and (tmp_path / "keep/notes.txt").exists()


def test_a_rotated_video_is_read_as_a_player_shows_it(tmp_path):
    """A display matrix of 90 degrees (a phone's portrait video: FFmpeg's rotation -90) turns the
    decoded frames a quarter clockwise."""
    from vidcorr.frames.decode import decode_video

    frame = np.zeros((32, 64, 3), np.uint8)
    frame[:, :8] = 255  # a white band on the left
    path = _mp4(tmp_path / "r.mp4", [frame] * 2)
    data = bytearray(path.read_bytes())
    at = data.find(b"tkhd")
    matrix = at + 4 + 4 + (4 * 5 + 8 if data[at + 4] == 0 else 8 * 3 + 4 * 2 + 8) + 8
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))
    with av.open(str(path)) as c:
        assert next(c.decode(video=0)).rotation == -90
    shown = next(decode_video(path))
    assert shown.shape == (64, 32, 3) and shown[:8].mean() > 200 and shown[8:].mean() < 30  # the band now on top


def test_the_readme_example_runs(tmp_path, monkeypatch):
    """README "Your own video": its Python block, as printed, on 50 small frames and a mask."""
    from helpers import REPO

    text = (REPO / "README.md").read_text()
    block = text[text.index("## Your own video"):].split("```python\n", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) <= 10
    (tmp_path / "frames").mkdir()
    g = np.random.default_rng(0)
    for i in range(50):
        Image.fromarray(g.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(tmp_path / f"frames/{i}.jpg")
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 20:40] = 255
    Image.fromarray(mask).save(tmp_path / "mask0.png")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(block, "README.md", "exec"), scope)
    assert scope["labels"].shape == (50, 48, 64) and scope["labels"].dtype == np.uint8
    assert np.array_equal(scope["labels"][0], mask // 255) and scope["stride"] == 4


def test_a_folder_is_read_in_the_order_people_read_names(tmp_path):
    """2.jpg before 10.jpg (a plain sort puts 10 first); one size for all frames, or the odd one named."""
    from vidcorr.frames.sources import read_frames

    for i in range(12):
        Image.fromarray(np.full((8, 8, 3), i * 20, np.uint8)).save(tmp_path / f"{i}.png")
    frames = read_frames(tmp_path)
    assert frames.names == [str(i) for i in range(12)] and [int(f[0, 0, 0]) for f in frames.images] == [i * 20 for i in range(12)]
    Image.fromarray(np.zeros((9, 8, 3), np.uint8)).save(tmp_path / "12.png")
    with pytest.raises(ValueError, match=r"12\.png is 8x9 but 0\.png is 8x8"):
        read_frames(tmp_path)
