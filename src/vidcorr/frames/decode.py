"""Decode a video file into RGB frames with PyAV, refusing corrupt, truncated or empty files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import cv2
import numpy as np

# FFmpeg conceals bitstream errors by default and returns damaged frames without a word; "explode"
# makes the decoder fail on the first error it detects. (The stricter "compliant"/"aggressive" flags
# reject clean clips of ours, e.g. an MPEG-4 Part 2 AVI, so they stay off.)
DECODER_OPTIONS = {"err_detect": "explode"}
# Real anamorphic video stretches pixels by at most 2 (SAR 16/11 PAL widescreen, 4/3 HDV, 2 for
# some DV); a ratio beyond 4 either way is a damaged header, not a way to show frames.
MAX_PIXEL_ASPECT = 4.0


class VideoDecodeError(RuntimeError):
    """A video that cannot be turned into frames; the message names the file and the reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"{self.path}: {reason}. Replace or remove this file, or set frames.skip_bad_videos: true "
            "to skip it and list it in the dataset's skipped.tsv."
        )


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about its first video stream."""

    fps: float
    width: int
    height: int
    declared_frames: int
    codec: str
    container: str


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise VideoDecodeError(path, "file does not exist")
    if path.stat().st_size == 0:
        raise VideoDecodeError(path, "file is empty (0 bytes)")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise VideoDecodeError(path, f"not a readable video container ({e})") from e
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(path, "the container holds no video stream")
    if container.streams.video[0].codec_context is None:
        container.close()
        raise VideoDecodeError(path, "the video stream's codec is unknown or its header is damaged")
    return container


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Read the stream header without decoding frames."""
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        return VideoInfo(
            fps=float(rate) if rate else float("nan"),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            declared_frames=int(stream.frames or 0),
            codec=stream.codec_context.name,
            container=container.format.name,
        )


def resize_short_side(frame: np.ndarray, short_side: int | None) -> np.ndarray:
    """Resize so the shorter side equals `short_side`, keeping the aspect ratio (area filter when shrinking)."""
    if not short_side:
        return frame
    h, w = frame.shape[:2]
    scale = short_side / min(h, w)
    if scale == 1:
        return frame
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(frame, size, interpolation=interp)


def displayed(rgb: np.ndarray, rotation: int, sar: float = 1.0) -> np.ndarray:
    """The frame as a player shows it: stretched to square pixels when the stream's sample aspect
    ratio `sar` is not 1 (an anamorphic video: a 720 x 576 frame of SAR 16/15 shows 768 x 576 wide),
    then turned by the container's display matrix, `rotation` degrees counter-clockwise (PyAV's
    VideoFrame.rotation; a phone's portrait video says -90)."""
    if sar > 0 and abs(sar - 1) > 1e-6:
        h, w = rgb.shape[:2]
        rgb = cv2.resize(rgb, (max(1, round(w * sar)), h), interpolation=cv2.INTER_AREA if sar < 1 else cv2.INTER_LINEAR)
    k = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb


def decode_video(
    path: str | os.PathLike, fps: float | None = None, short_side: int | None = None
) -> Iterator[np.ndarray]:
    """Yield RGB uint8 frames as a player shows them (square pixels, display rotation applied),
    resampled to `fps` (never above the native rate) and resized.

    Raises VideoDecodeError when the file cannot be opened, a packet or frame is flagged corrupt, the
    decoder detects any bitstream error, no frame decodes, the container holds fewer packets than it
    declares frames (truncation), or its sample aspect ratio is beyond MAX_PIXEL_ASPECT. A damaged
    byte that still forms a valid bitstream cannot be told from content: neither MP4 nor AVI
    carries checksums (see docs/stages.md, "Frames").
    Every packet the container does not mark for discarding (edit lists) must give a frame.
    """
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.options = dict(DECODER_OPTIONS)
        rate = stream.average_rate or stream.guessed_rate
        native = float(rate) if rate else None
        step = None if not fps or not native or fps >= native else native / fps
        declared = int(stream.frames or 0)
        sar = float(stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio or 1)
        if not 1 / MAX_PIXEL_ASPECT <= sar <= MAX_PIXEL_ASPECT:
            raise VideoDecodeError(path, f"its sample aspect ratio {sar:.3g} would stretch each pixel more than "
                                         f"{MAX_PIXEL_ASPECT:g} times: the header is damaged")
        packets = corrupt = discarded = decoded = 0
        next_keep = 0.0
        try:
            for packet in container.demux(stream):
                if packet.size:
                    packets += 1
                    corrupt += bool(packet.is_corrupt)
                    discarded += bool(packet.is_discard)  # edit lists drop these by design
                for frame in packet.decode():
                    if frame.is_corrupt:
                        raise VideoDecodeError(path, f"frame {decoded} decoded with errors: the file is damaged")
                    index = decoded
                    decoded += 1
                    if step is not None:
                        if index + 1e-6 < next_keep:
                            continue
                        next_keep += step
                    yield resize_short_side(displayed(frame.to_ndarray(format="rgb24"), frame.rotation, sar), short_side)
        except av.error.FFmpegError as e:
            raise VideoDecodeError(path, f"decoding failed after {decoded} frames ({e})") from e
        if decoded == 0:
            raise VideoDecodeError(path, "no frame could be decoded")
        if corrupt:
            raise VideoDecodeError(path, f"{corrupt} corrupt packet(s): the file is damaged or truncated")
        if decoded < packets - discarded:  # the decoder swallowed frames without reporting an error
            raise VideoDecodeError(path, f"only {decoded} frames decode from {packets - discarded} packets: "
                                         "the stream's header or data is damaged")
        if declared and packets < declared:
            raise VideoDecodeError(
                path, f"truncated: the container declares {declared} frames but holds only {packets} packets"
            )
    finally:
        container.close()

