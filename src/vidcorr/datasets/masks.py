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


def _colour_keys(rgb: np.ndarray) -> np.ndarray:
    """Each RGB triple (..., 3) as one int32 (0xRRGGBB), so colours compare and sort as numbers."""
    return (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]


def _davis_ids() -> dict[int, int]:
    """DAVIS palette colour key -> its lowest id."""
    return {int(k): i for i, k in reversed(list(enumerate(_colour_keys(davis_palette()))))}


VOID = 255  # DAVIS's void label: not an object; the metric ignores its pixels


def objects_in(ids: np.ndarray) -> list[int]:
    """The object ids of a label map: every id but the background 0 and VOID."""
    return [int(i) for i in np.unique(ids) if i not in (0, VOID)]


def without_void(ids: np.ndarray) -> np.ndarray:
    """The labels a propagation starts from: VOID pixels are background (never propagated as an object)."""
    return np.where(ids == VOID, 0, ids).astype(np.uint8)


def read_label(path: str | os.PathLike) -> np.ndarray:
    """Read a label PNG into an (H, W) uint8 id map, whatever its mode. Indexed and RGB maps are read as
    they are (255: VOID); grey maps by grey_ids' rule, the same as for a user's mask."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise ValueError(f"{path}: not a regular file (a folder, FIFO or device); give the label PNG")
    try:
        data = path.read_bytes()
        fast = decode_png_ids(data)
        if fast is not None:
            mode, ids = fast
            return ids if mode == "P" else grey_ids(path, ids, MAX_GREY_ID)
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
        return grey_ids(path, np.asarray(im.getchannel(0)), MAX_GREY_ID)
    if mode in ("I", "I;16"):
        a = np.asarray(im)
        if a.max(initial=0) > 255:
            raise ValueError(f"{path}: label ids above 255 are not supported")
        return grey_ids(path, a.astype(np.uint8), MAX_GREY_ID)
    if mode in ("RGB", "RGBA"):
        rgb = np.asarray(im.convert("RGB"))
        key = _colour_keys(rgb)
        lookup = _davis_ids()
        uniq, inv = np.unique(key, return_inverse=True)
        unknown = [hex(int(u)) for u in uniq if int(u) not in lookup]
        if unknown:
            raise ValueError(f"{path}: RGB label colours {unknown[:5]} are not in the DAVIS palette")
        return np.array([lookup[int(u)] for u in uniq], dtype=np.uint8)[inv].reshape(key.shape)
    raise ValueError(f"{path}: unsupported label image mode {mode!r}")


def write_label(path: str | os.PathLike, ids: np.ndarray, palette: np.ndarray | None = None) -> None:
    """Write an id map as an indexed PNG with the DAVIS palette (what the official tools read), or
    with `palette` ((256, 3) uint8: a user's mask's own colours)."""
    im = Image.fromarray(np.asarray(ids, dtype=np.uint8), mode="P")
    im.putpalette((davis_palette() if palette is None else np.asarray(palette, np.uint8)).reshape(-1).tolist())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    im.save(path)


MAX_OBJECTS = 32  # a user's mask with more distinct colours or grey levels is refused (smoothed edges)
MAX_GREY_ID = 64  # a grey label map (ground truth, predictions) holds ids up to this, and VOID
BINARY_SHARE = 0.9  # a grey mask whose 0 and 255 cover this share of pixels (and the rest thin fringes) is a smoothed binary mask


def _interior(ids: np.ndarray, value: int) -> bool:
    """Whether some pixel of `value` has all 8 neighbours of that value too (a fringe of smoothed
    edges, one or two pixels wide, has none)."""
    import cv2

    return bool(cv2.erode((ids == value).astype(np.uint8), np.ones((3, 3), np.uint8)).any())


def _check_clean(path: Path, ids: np.ndarray, what: str, values: list) -> None:
    if len(values) > MAX_OBJECTS:
        raise ValueError(f"{path}: {len(values)} distinct {what} values, not clean labels (edges smoothed by resizing or "
                         "antialiasing?); save the mask with nearest-neighbour resizing, or as an indexed PNG "
                         f"(at most {MAX_OBJECTS} objects)")
    fringe = [v for i, v in enumerate(values, 1) if not _interior(ids, i)]
    if fringe:
        raise ValueError(f"{path}: {what}(s) {fringe[:5]} form only lines one or two pixels wide, as the edges of "
                         "a smoothed mask do, not objects; save the mask with nearest-neighbour resizing (or, if "
                         "such a thin object is real, as an indexed PNG, which is read as it is)")


def grey_ids(path: Path, grey: np.ndarray, max_id: int) -> np.ndarray:
    """A grey label map's ids, by one rule for ground truth, predictions and users' masks:
    - only 0 and 255: a binary mask (DAVIS-2016's), 0 and 1;
    - 0 and 255 on at least 90 % of the pixels and every other level only a thin fringe: a binary
      mask whose edges were smoothed by resizing, thresholded at 128;
    - else the levels are the ids (255 stays VOID) when none is above `max_id`; a level above it is
      an error that names the file (benchmark ids are small: levels like 37 or 200 are the edges of
      a smoothed mask, not objects)."""
    values = np.unique(grey)
    if set(values.tolist()) <= {0, 255}:
        return (grey == 255).astype(np.uint8)
    levels = [int(v) for v in values if v]
    between = [i for i, v in enumerate(levels, 1) if v != 255]
    if 255 in levels and np.isin(grey, (0, 255)).mean() >= BINARY_SHARE:
        ranks = np.searchsorted(np.array([0, *levels]), grey).astype(np.uint8)
        if not any(_interior(ranks, i) for i in between):
            return (grey >= 128).astype(np.uint8)
    beyond = [v for v in levels if max_id < v != VOID]
    if beyond:
        raise ValueError(f"{path}: grey levels {beyond[:5]}{' ...' if len(beyond) > 5 else ''} ({len(levels)} levels in "
                         f"all) are not object ids (1 .. {max_id}, and {VOID} for void): the edges of a mask smoothed "
                         "by resizing or antialiasing? Save it with nearest-neighbour resizing, or as an indexed PNG")
    return grey.astype(np.uint8)


def read_user_mask(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """A mask as people make it, as (H, W) object ids and the (256, 3) palette to draw results with.

    - Indexed PNG: its indices and its palette, read as they are; 255 (DAVIS's void) and a
      transparent index are background.
    - Grey (0/255, or small ids): 0 is the background, each other level an object (ids in
      increasing level). A binary mask with smoothed edges (0 and 255 cover at least 90 % of the
      pixels, and every other level is a thin fringe) is thresholded at 128.
    - RGB(A): black is the background, each other colour an object; with only DAVIS palette
      colours, their DAVIS ids, else ids by decreasing area and the mask's colours as the palette.
    Transparent pixels (alpha 0) are background. Masks that are not clean labels are refused with
    what to do: more than 32 objects, or (grey and RGB) a level with no pixel whose eight
    neighbours share it, the fringe of smoothed edges.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            mode, palette, transparent = im.mode, im.getpalette(), im.info.get("transparency")
            data = np.asarray(im)
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f"{path}: unreadable mask image ({e}); give a PNG (indexed, grey or RGB)") from e
    pal = davis_palette()
    if mode == "P":
        ids = np.where((data == 255) | (data == transparent if isinstance(transparent, int) else False), 0, data)
        ids = ids.astype(np.uint8)
        objects = sorted(set(np.unique(ids).tolist()) - {0})
        if len(objects) > MAX_OBJECTS:
            _check_clean(path, ids, "palette index", objects)
        if palette:
            own = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)[:256]
            pal[:len(own)] = own
        return ids, pal
    if mode in ("1", "L", "LA", "I", "I;16"):
        if data.max(initial=0) > 255:
            raise ValueError(f"{path}: grey levels above 255 are not object ids; give an 8-bit mask")
        grey = (data[..., 0] if data.ndim == 3 else data * 255 if mode == "1" else data).astype(np.uint8)
        if mode == "LA":
            grey = np.where(data[..., 1] == 0, 0, grey).astype(np.uint8)
        grey = grey_ids(path, grey, 255)  # a binary mask, smoothed or not, becomes 0/1
        values = [int(v) for v in np.unique(grey) if v]
        ids = np.searchsorted(np.array([0, *values]), grey).astype(np.uint8)
        _check_clean(path, ids, "grey level", values)
        return ids, pal
    if mode in ("RGB", "RGBA"):
        rgb = np.where(data[..., 3:] == 0, 0, data[..., :3]) if mode == "RGBA" else data
        key = _colour_keys(rgb)
        colours, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        index = _davis_ids()
        if set(colours.tolist()) <= set(index):
            ids = np.array([index[int(c)] for c in colours], dtype=np.uint8)[inverse].reshape(key.shape)
            return ids, pal
        objects = [int(c) for c in colours[np.argsort(-counts, kind="stable")] if c != 0]
        rank = {0: 0, **{c: i for i, c in enumerate(objects, 1)}}
        ids = np.array([rank[int(c)] for c in colours], dtype=np.uint8)[inverse].reshape(key.shape) \
            if len(objects) <= MAX_OBJECTS else np.zeros(key.shape, np.uint8)
        _check_clean(path, ids, "colour", [f"#{c:06x}" for c in objects])
        for i, c in enumerate(objects, 1):
            pal[i] = (c >> 16, (c >> 8) & 255, c & 255)
        return ids, pal
    raise ValueError(f"{path}: unsupported mask image mode {mode!r}; give a PNG (indexed, grey or RGB)")
