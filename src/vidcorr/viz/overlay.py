"""Overlay labels on frames (masks, parts, keypoints) and tile them into one PNG strip."""

from __future__ import annotations

import cv2
import numpy as np

from ..datasets.base import Sequence
from ..datasets.masks import davis_palette


def mask_overlay(image: np.ndarray, ids: np.ndarray, alpha: float = 0.5, palette: np.ndarray | None = None) -> np.ndarray:
    """Blend palette colours (DAVIS's unless given) of non-zero ids over an RGB image and outline each region."""
    colours = (davis_palette() if palette is None else palette)[ids]
    out = image.astype(np.float32)
    fg = ids > 0
    out[fg] = (1 - alpha) * out[fg] + alpha * colours[fg]
    out = out.astype(np.uint8)
    edges = cv2.morphologyEx(ids, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    out[edges & fg] = colours[edges & fg]
    return out


def draw_keypoints(image: np.ndarray, xy: np.ndarray, visible: np.ndarray | None = None) -> np.ndarray:
    """Draw keypoints as palette-coloured dots (hollow where not visible)."""
    out = np.ascontiguousarray(image.copy())
    pal = davis_palette()
    radius = max(2, round(min(image.shape[:2]) / 80))
    for j, (x, y) in enumerate(np.asarray(xy)):
        if not np.isfinite([x, y]).all():
            continue
        colour = tuple(int(c) for c in pal[j + 1])
        filled = visible is None or bool(visible[j])
        cv2.circle(out, (round(x), round(y)), radius, colour, -1 if filled else 1, lineType=cv2.LINE_AA)
    return out


def tile(rows: list[list[np.ndarray]], gap: int = 4) -> np.ndarray:
    """Tile equally sized RGB images into a grid with white gaps."""
    h, w = rows[0][0].shape[:2]
    ncols = max(len(r) for r in rows)
    canvas = np.full((len(rows) * (h + gap) - gap, ncols * (w + gap) - gap, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            canvas[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = img
    return canvas


def sequence_strip(seq: Sequence, frames: list[int]) -> np.ndarray:
    """One row of a sequence's frames with its labels (masks or keypoints) drawn on them."""
    row = []
    for i in frames:
        img = seq.read_frame(i)
        if i in seq.labels:
            img = mask_overlay(img, seq.read_label(i))
        if seq.keypoints is not None:
            img = draw_keypoints(img, seq.keypoints[i])
        row.append(img)
    return tile([row])


def write_rows_png(rows: list[np.ndarray], path) -> None:
    """Stack RGB rows (resized to a common width) into one PNG, written atomically."""
    from ..atomic import atomic_file

    if not rows:
        raise ValueError(f"nothing to draw into {path}")
    width = max(r.shape[1] for r in rows)
    rows = [cv2.resize(r, (width, round(r.shape[0] * width / r.shape[1]))) for r in rows]
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.concatenate(rows), cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"could not encode {path}")
    with atomic_file(path) as tmp:
        tmp.write_bytes(png.tobytes())


def write_overlay_video(path, images: list[np.ndarray], ids: list[np.ndarray], fps: float,
                        palette: np.ndarray | None = None) -> None:
    """An H.264 MP4 of the masks drawn over the frames, one video frame per frame at `fps` (frame
    sides are padded to even numbers, as 4:2:0 chroma needs), written atomically."""
    from fractions import Fraction

    import av

    from ..atomic import atomic_file

    h, w = images[0].shape[:2]
    with atomic_file(path) as tmp, av.open(str(tmp), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(100_000))
        stream.width, stream.height, stream.pix_fmt = w + w % 2, h + h % 2, "yuv420p"
        for image, labels in zip(images, ids):
            frame = np.pad(mask_overlay(image, labels, palette=palette), ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
