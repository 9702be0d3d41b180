"""Broken videos fail with a message naming the file and reason, and leave no frame folder."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import run
from helpers.clips import write_clip
from vidcorr.frames import VideoDecodeError, extract_video


def _truncate(path, frac):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * frac)])
    return path


def _broken(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(1).integers(0, 255, 5000, dtype=np.uint8).tobytes())
    text = tmp_path / "notes.avi"
    text.write_text("this is not a video\n" * 50)
    moov_end = _truncate(write_clip(tmp_path / "moov_end.mp4"), 0.6)
    moov_front = _truncate(write_clip(tmp_path / "moov_front.mp4", faststart=True), 0.6)
    avi = _truncate(write_clip(tmp_path / "cut.avi"), 0.6)
    return {empty: "empty", garbage: "not a readable", text: "not a readable",
            moov_end: "not a readable", moov_front: "truncated", avi: "truncated"}


def test_good_generated_clip_extracts(tmp_path):
    clip = write_clip(tmp_path / "ok.mp4", n=12, faststart=True)
    assert extract_video(clip, tmp_path / "ok")["num_frames"] == 12


@pytest.mark.parametrize("case", range(6))
def test_broken_video_fails_and_leaves_nothing(tmp_path, case):
    path, reason = list(_broken(tmp_path).items())[case]
    out = tmp_path / "frames" / path.stem
    with pytest.raises(VideoDecodeError) as err:
        extract_video(path, out)
    assert str(path) in str(err.value)
    assert reason in err.value.reason
    assert not out.exists()
    assert list((tmp_path / "frames").iterdir()) == []  # no temporary folder left either


def test_skip_bad_videos_records_the_reason(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    m = extract_video(path, tmp_path / "frames" / "empty", skip_bad=True)
    assert m["status"] == "skipped" and "empty" in m["reason"]
    assert sorted(p.name for p in (tmp_path / "frames" / "empty").iterdir()) == ["manifest.json"]


def test_cli_reports_the_file_and_exits_nonzero(tmp_path):
    bad = tmp_path / "garbage.webm"
    bad.write_bytes(b"\x00" * 100)
    proc = run(["vidcorr", "frames", "--video", str(bad),
                "--out", str(tmp_path / "out")], check=False)
    assert proc.returncode == 1
    assert str(bad) in proc.stderr and "not a readable video container" in proc.stderr
    assert not (tmp_path / "out").exists()


# One clip per container/codec pair the shared clips use: MP4/H.264, AVI/MPEG-4 Part 2, AVI/H.264.
REAL_CLIPS = ["carphone_pristine.mp4", "mmaction2_test.avi", "ntu_S001C001P001R001A001_rgb.avi"]


@pytest.mark.parametrize("name", REAL_CLIPS)
def test_one_flipped_byte_in_a_real_clip_is_an_error(tmp_path, name):
    """FFmpeg conceals bitstream errors unless told not to; the damaged clip must not extract."""
    from helpers import shared

    clean = shared("videos", name)
    data = bytearray(clean.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / name
    bad.write_bytes(bytes(data))
    assert extract_video(clean, tmp_path / "clean")["num_frames"] > 0  # the undamaged file still decodes
    out = tmp_path / "frames" / bad.stem
    with pytest.raises(VideoDecodeError) as err:
        extract_video(bad, out)
    assert str(bad) in str(err.value)
    assert not out.exists() and list((tmp_path / "frames").iterdir()) == []
