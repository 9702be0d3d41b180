"""The real photographs and textures that scikit-image bundles, used as backgrounds and object skins."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import skimage.data

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle")
TEXTURES = ("brick", "grass", "gravel")


@lru_cache(maxsize=None)
def load_source(name: str) -> np.ndarray:
    """RGB uint8 image of a bundled photo; grey textures are returned as grey RGB (tinted later)."""
    if name == "motorcycle":
        img = skimage.data.stereo_motorcycle()[0]
    elif name in PHOTOS or name in TEXTURES:
        img = getattr(skimage.data, name)()
    else:
        raise ValueError(f"unknown source image {name!r}; choose from {PHOTOS + TEXTURES}")
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])
