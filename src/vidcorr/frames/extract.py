"""Extract one video into a frame folder plus manifest.json, atomically."""

from __future__ import annotations

import os
from pathlib import Path

import cv2

from ..atomic import atomic_dir, write_json
from ..provenance import record, sha256_file
from .decode import VideoDecodeError, decode_video, probe_video
from .listing import MANIFEST



def extract_video(
    src: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    fps: float | None = None,
    short_side: int | None = None,
    jpeg_quality: int = 95,
    skip_bad: bool = False,
) -> dict:
    """Decode `src` into `out_dir`/00000.jpg ... and write `out_dir`/manifest.json.

    With `skip_bad`, an undecodable video yields a folder holding only a manifest with
    status "skipped" and the reason; otherwise VideoDecodeError propagates and no folder is left.
    """
    src = Path(src)
    settings = {"fps": fps, "short_side": short_side, "jpeg_quality": jpeg_quality}
    try:
        with atomic_dir(out_dir) as tmp:
            info = probe_video(src)
            count, size = 0, None
            for count, frame in enumerate(decode_video(src, fps=fps, short_side=short_side), start=1):
                size = [frame.shape[1], frame.shape[0]]
                bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
                encoded, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
                if not encoded:
                    raise OSError(f"could not encode frame {count - 1} of {src} as JPEG")
                try:  # not cv2.imwrite, which answers False without saying why
                    (tmp / f"{count - 1:05d}.jpg").write_bytes(jpeg.tobytes())
                except OSError as e:
                    raise OSError(f"could not write frame {count - 1} of {src} into {out_dir}: "
                                  f"{e.strerror or e}") from e
            out_fps = info.fps if not fps or fps >= info.fps else float(fps)
            manifest = {
                "status": "ok",
                "video": src.stem,
                "source": str(src),
                "sha256": sha256_file(src),
                "num_frames": count,
                "fps": out_fps,
                "source_fps": info.fps,
                "original_size": [info.width, info.height],
                "size": size,
                "codec": info.codec,
                "container": info.container,
                "declared_frames": info.declared_frames,
                "provenance": record(config=settings, inputs=[str(src)]),
            }
            write_json(tmp / MANIFEST, manifest)
        return manifest
    except VideoDecodeError as e:
        if not skip_bad:
            raise
        manifest = {
            "status": "skipped",
            "video": src.stem,
            "source": str(src),
            "reason": e.reason,
            "num_frames": 0,
            "provenance": record(config=settings, inputs=[str(src)]),
        }
        with atomic_dir(out_dir) as tmp:
            write_json(tmp / MANIFEST, manifest)
        return manifest
