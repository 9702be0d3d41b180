"""Each method's own test protocol as a propagation preset, and the engine at every feature stride."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.released import EXPECTED, FORMATS, released_file
from vidcorr.convert import FORMATS as CONVERTERS
from vidcorr.convert import convert_checkpoint
from vidcorr.inference import PropagationConfig, Propagator
from vidcorr.inference.features import NetworkFeatures
from vidcorr.inference.labels import one_hot
from vidcorr.inference.presets import PRESETS
from vidcorr.model import load_encoder
from vidcorr.settings_schema import PROPAGATION, section

CPU = torch.device("cpu")


def test_the_schema_offers_exactly_the_presets():
    assert section(PROPAGATION)["properties"]["preset"]["enum"] == list(PRESETS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_preset_fills_in_its_settings_and_what_is_given_beside_it_wins(name):
    cfg = PropagationConfig.from_dict({"preset": name})
    for key, value in PRESETS[name]["settings"].items():
        got = getattr(cfg, key)
        assert (list(got) if isinstance(got, tuple) else got) == value, key
    assert PropagationConfig.from_dict({"preset": name, "topk": 3}).topk == 3
    assert PRESETS[name]["differs"], "every preset names where the engine differs from the method's test"


def test_raw_dot_products_are_what_mast_matches(encoders):
    """normalize: false (MAST, the LIIR port) leaves the features' norms; the default makes them unit."""
    enc = encoders["mast"]
    rgb = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    feats = NetworkFeatures(enc, CPU, torch.float32)
    unit = Propagator(feats, PropagationConfig.from_dict({})).features(rgb)[0]
    raw = Propagator(feats, PropagationConfig.from_dict({"preset": "mast"})).features(rgb)[0]
    assert torch.allclose(unit.norm(dim=0), torch.ones(()), atol=1e-4)
    assert torch.allclose(torch.nn.functional.normalize(raw, dim=0), unit, atol=1e-5)
    assert not torch.allclose(raw.norm(dim=0), torch.ones(()), atol=1e-2)


@pytest.fixture(scope="module")
def encoders(tmp_path_factory):
    """Each format's released layout (random weights), converted and loaded."""
    d = tmp_path_factory.mktemp("released")
    out = {}
    for fmt in FORMATS:
        convert_checkpoint(fmt, released_file(fmt, d / f"{fmt}.pth"), d / f"{fmt}.pt")
        out[fmt] = load_encoder(d / f"{fmt}.pt")
    return out


def _square_video(h: int = 72, w: int = 104, frames: int = 5) -> tuple[list[np.ndarray], np.ndarray]:
    """A bright square moving right on a textured background, and its frame-0 mask."""
    rng = np.random.default_rng(1)
    bg = rng.integers(0, 120, (h, w, 3), dtype=np.uint8)
    video, mask = [], np.zeros((h, w), np.uint8)
    for t in range(frames):
        f = bg.copy()
        f[20:44, 16 + 4 * t: 40 + 4 * t] = (250, 40, 40)
        video.append(f)
    mask[20:44, 16:40] = 1
    return video, mask


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_propagates_under_its_own_preset_at_its_own_stride(encoders, fmt):
    """Labels come back at the frames' size whatever the feature stride (4, 8, 16)."""
    video, mask = _square_video()
    feats = NetworkFeatures(encoders[fmt], CPU, torch.float32)
    assert feats.stride == EXPECTED[fmt][2]
    prop = Propagator(feats, PropagationConfig.from_dict({"preset": CONVERTERS[fmt].PRESET, "short_term": 2}))
    out = list(prop.run(len(video), lambda t: video[t], one_hot(mask, 2)))
    assert [t for t, _ in out] == list(range(1, len(video)))
    for _, probs in out:
        assert probs.shape == (2, *mask.shape) and torch.isfinite(probs).all()
