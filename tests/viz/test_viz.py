"""Overlays change exactly the labelled pixels, and the preview command draws a dataset."""

from __future__ import annotations

import numpy as np
from PIL import Image

from helpers import index, run
from helpers.layouts import make_davis, two_objects
from vidcorr.datasets.masks import davis_palette
from vidcorr.viz import mask_overlay


def test_mask_overlay_tints_only_labelled_pixels():
    image = np.full((12, 16, 3), 100, np.uint8)
    ids = two_objects()
    out = mask_overlay(image, ids, alpha=0.5)
    np.testing.assert_array_equal(out[ids == 0], image[ids == 0])
    inner = np.zeros_like(ids, bool)
    inner[3:5, 4:7] = True  # strictly inside object 1, away from its outline
    expect = (0.5 * 100 + 0.5 * davis_palette()[1].astype(np.float32)).astype(np.uint8)
    assert (out[inner] == expect).all()


def test_preview_command_writes_a_strip(tmp_path):
    data = index(tmp_path / "d.json", "davis", make_davis(tmp_path / "d"))
    run(["vidcorr", "preview", "--index", data, "--out", str(tmp_path / "p.png"), "--frames", "3"])
    strip = np.asarray(Image.open(tmp_path / "p.png"))
    assert strip.shape == (12, 3 * 16 + 2 * 4, 3)
    assert (strip[3, 5] != 0).any()  # object 1 tinted over a black frame
