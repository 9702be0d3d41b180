"""Frame extraction on the 26 real clips: every one extracts, with as many frames as decode."""

from __future__ import annotations

import json

import cv2
import pytest
from PIL import Image

from helpers import shared
from vidcorr.frames import extract_video, list_videos


def _count_with_opencv(path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def test_every_real_clip_extracts_with_the_decodable_frame_count(tmp_path):
    videos = list_videos(shared("videos"))
    assert len(videos) == 26
    sizes, shown = set(), {}
    for name, path in videos.items():
        out = tmp_path / name
        manifest = extract_video(path, out, short_side=48, jpeg_quality=70)
        frames = sorted(out.glob("*.jpg"))
        assert manifest["status"] == "ok"
        assert manifest["num_frames"] == len(frames) == _count_with_opencv(path), name
        assert json.loads((out / "manifest.json").read_text())["sha256"] == manifest["sha256"]
        w, h = Image.open(frames[0]).size
        assert min(w, h) == 48, name
        sizes.add(tuple(manifest["original_size"]))
        shown[name] = w
    assert (176, 144) in sizes and (1920, 1080) in sizes
    # carphone_pristine's pixels are 128/117 wide: 176 x 144 coded, shown 193 x 144 (64 wide at 48, not 59)
    assert shown["carphone_pristine"] == round(48 * 193 / 144)


def test_fps_resampling_keeps_the_expected_frames(tmp_path):
    path = list_videos(shared("videos"))["bikes"]  # 250 frames at 25 fps
    m = extract_video(path, tmp_path / "bikes", fps=10, short_side=32)
    assert m["num_frames"] == 100
    assert m["fps"] == pytest.approx(10.0)
    assert m["source_fps"] == pytest.approx(25.0)
