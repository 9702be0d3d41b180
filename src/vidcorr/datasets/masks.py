"""Read and write label maps in every encoding the benchmarks ship (indexed, 0/255, L/LA, RGB palette)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from .png_fast import decode_png_ids


def davis_palette(n: int = 256) -> np.ndarray:
    """The DAVIS / PASCAL-VOC colour map: (n, 3) uint8, id 0 black, 1 dark red, 2 green, ..."""
    pal = np.zeros((n, 3), dtype=np.uint8)
    for i in range(n):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    return pal


def _grey_to_ids(a: np.ndarray) -> np.ndarray:
    """0/255 binary masks (DAVIS-2016) become 0/1; any other grey map already holds ids."""
    values = np.unique(a)
    if values.size <= 2 and set(values.tolist()) <= {0, 255}:
        return (a == 255).astype(np.uint8)
    return a.astype(np.uint8)


def read_label(path: str | os.PathLike) -> np.ndarray:
    """Read a label PNG into an (H, W) uint8 id map, whatever its mode."""
    path = Path(path)
    try:
        data = path.read_bytes()
        fast = decode_png_ids(data)
        if fast is not None:
            mode, ids = fast
            return ids if mode == "P" else _grey_to_ids(ids)
        with Image.open(io.BytesIO(data)) as im:  # PIL's decoder skips IDAT checksums: a flipped byte would read as labels
            if im.format == "PNG":
                im.verify()
        im = Image.open(io.BytesIO(data))
        im.load()
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f"{path}: unreadable label image ({e}); re-export it as a PNG") from e
    mode = im.mode
    if mode == "P":
        return np.asarray(im, dtype=np.uint8)
    if mode == "1":
        return np.asarray(im, dtype=np.uint8)
    if mode in ("L", "LA"):
        return _grey_to_ids(np.asarray(im.getchannel(0)))
    if mode in ("I", "I;16"):
        a = np.asarray(im)
        if a.max(initial=0) > 255:
            raise ValueError(f"{path}: label ids above 255 are not supported")
        return _grey_to_ids(a.astype(np.uint8))
    if mode in ("RGB", "RGBA"):
        rgb = np.asarray(im.convert("RGB"))
        pal = davis_palette()
        key = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
        pal_key = (pal[:, 0].astype(np.int32) << 16) | (pal[:, 1].astype(np.int32) << 8) | pal[:, 2]
        lookup = {int(k): i for i, k in reversed(list(enumerate(pal_key)))}
        uniq, inv = np.unique(key, return_inverse=True)
        unknown = [hex(int(u)) for u in uniq if int(u) not in lookup]
        if unknown:
            raise ValueError(f"{path}: RGB label colours {unknown[:5]} are not in the DAVIS palette")
        return np.array([lookup[int(u)] for u in uniq], dtype=np.uint8)[inv].reshape(key.shape)
    raise ValueError(f"{path}: unsupported label image mode {mode!r}")


def write_label(path: str | os.PathLike, ids: np.ndarray) -> None:
    """Write an id map as an indexed PNG with the DAVIS palette (what the official tools read)."""
    im = Image.fromarray(np.asarray(ids, dtype=np.uint8), mode="P")
    im.putpalette(davis_palette().reshape(-1).tolist())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    im.save(path)
