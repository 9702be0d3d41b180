"""Released checkpoints (MAST, LIIR port, CRW, VFS, DINO) converted into vidcorr checkpoints.

The files are written here in each method's own layout (helpers/released.py); parity with the
anchors' forward passes is benchmarks/convert_parity.py (needs their checkouts)."""

from __future__ import annotations

import argparse
import collections

import numpy as np
import pytest
import torch
import torchvision

from helpers import run
from helpers.released import EXPECTED, FORMATS, mast_layout, port_layout, released_file, torchvision_resnet18
from vidcorr.convert import FORMATS as CONVERTERS
from vidcorr.convert import LayoutError, convert_checkpoint
from vidcorr.inference.features import NetworkFeatures
from vidcorr.inference.presets import PRESETS
from vidcorr.model import load_encoder, read_checkpoint

CPU = torch.device("cpu")


def _frame(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_the_layout_tables_have_the_anchors_key_counts():
    """MAST's 116 keys, as its model builds them; the port's backbone is MAST's, renamed by torchvision."""
    assert len(mast_layout()) == 116
    assert len([k for k, _ in port_layout() if k.startswith(("feature_extraction.", "post_convolution."))]) == 117
    tv = {k: tuple(v.shape) for k, v in torchvision.models.resnet18().state_dict().items() if not k.startswith("fc.")}
    assert dict(torchvision_resnet18()) == tv  # CRW's and VFS's backbone names


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_converts_with_its_preprocessing_stride_and_protocol(tmp_path, fmt):
    src = released_file(fmt, tmp_path / "released.pth")
    source = convert_checkpoint(fmt, src, tmp_path / "ours.pt")
    arch, kind, stride, channels = EXPECTED[fmt]
    state = read_checkpoint(tmp_path / "ours.pt")
    assert state["encoder_config"]["arch"] == arch
    assert state["protocol"] == source["protocol"] == CONVERTERS[fmt].PRESET and state["protocol"] in PRESETS
    assert state["source"]["format"] == fmt and len(state["source"]["sha256"]) == 64
    encoder = load_encoder(tmp_path / "ours.pt")
    assert (encoder.input, encoder.stride) == (kind, stride)
    for h, w in ((64, 96), (50, 75)):  # sizes that are and are not multiples of the stride
        f = NetworkFeatures(encoder, CPU, torch.float32)(_frame(h, w))[0]
        assert f.shape == (channels, *encoder.feature_size(h, w))
        assert torch.isfinite(f).all()
        assert torch.allclose(f.norm(dim=0), torch.ones(()), atol=1e-4)


@pytest.mark.parametrize("fmt, ours, theirs", [
    ("mast", "layer2.0.downsample.0.weight", ("state_dict", "feature_extraction.layer2.0.shortcut.0.weight")),
    ("liir-port", "position.full", ("state_dict", "feature_extraction.pos_embed1")),
    ("crw", "layer3.1.conv2.weight", ("model", "encoder.model.layer3.1.conv2.weight")),
    ("vfs", "layer1.0.bn1.running_var", ("state_dict", "layer1.0.bn1.running_var")),
    ("dino", "vit.blocks.1.attn.qkv.weight", (None, "blocks.1.attn.qkv.weight")),
])
def test_the_released_weights_are_the_ones_loaded(tmp_path, fmt, ours, theirs):
    src = released_file(fmt, tmp_path / "released.pth", seed=3)
    convert_checkpoint(fmt, src, tmp_path / "ours.pt")
    saved = torch.load(src, weights_only=False)
    wrapper, key = theirs
    expected = (saved[wrapper] if wrapper else saved)[key]
    assert torch.equal(load_encoder(tmp_path / "ours.pt").state_dict()[ours], expected)


def test_a_file_of_another_format_is_named_with_its_keys_and_the_format_it_fits(tmp_path):
    src = released_file("crw", tmp_path / "pretrained.pth")
    with pytest.raises(LayoutError) as e:
        convert_checkpoint("mast", src, tmp_path / "ours.pt")
    msg = str(e.value)
    assert str(src) in msg and "encoder.model." in msg and "'crw'" in msg
    assert not (tmp_path / "ours.pt").exists()


def test_a_missing_or_reshaped_tensor_is_a_layout_error_not_random_weights(tmp_path):
    src = released_file("vfs", tmp_path / "vfs.pth")
    state = torch.load(src, weights_only=True)
    del state["state_dict"]["layer3.1.conv2.weight"]
    torch.save(state, src)
    with pytest.raises(LayoutError, match=r"1 missing \(e.g. \['layer3.1.conv2.weight'\]\)"):
        convert_checkpoint("vfs", src, tmp_path / "ours.pt")
    state["state_dict"]["layer3.1.conv2.weight"] = torch.zeros(3, 3)
    torch.save(state, src)
    with pytest.raises(LayoutError, match="of another shape"):
        convert_checkpoint("vfs", src, tmp_path / "ours.pt")


def test_objects_outside_the_allow_list_are_not_unpickled(tmp_path):
    """CRW's argparse.Namespace is let in; any other object (here a collections.UserDict) is refused."""
    src = released_file("crw", tmp_path / "pretrained.pth")
    state = torch.load(src, weights_only=False)
    state["args"] = collections.UserDict(a=1)
    torch.save(state, src)
    with pytest.raises(ValueError, match="stores Python objects that are not loaded"):
        convert_checkpoint("crw", src, tmp_path / "ours.pt")
    state["args"] = argparse.Namespace(a=1)
    torch.save(state, src)
    convert_checkpoint("crw", src, tmp_path / "ours.pt")


def test_the_cli_converts_and_names_what_it_cannot(tmp_path):
    src = released_file("dino", tmp_path / "dino_deitsmall16_pretrain.pth")
    r = run(["vidcorr", "convert-checkpoint", "--from", "dino", str(src), str(tmp_path / "dino.pt")])
    assert r.returncode == 0 and "preset 'dino'" in r.stdout
    r = run(["vidcorr", "convert-checkpoint", "--from", "moco", str(src), str(tmp_path / "x.pt")], check=False)
    assert r.returncode == 1 and all(f in r.stderr for f in CONVERTERS)
    r = run(["vidcorr", "convert-checkpoint", "--from", "crw", str(tmp_path / "absent.pth"), str(tmp_path / "x.pt")],
            check=False)
    assert r.returncode == 1 and "absent.pth does not exist" in r.stderr
    help_text = run(["vidcorr", "convert-checkpoint", "--help"]).stdout
    assert all(f in help_text for f in CONVERTERS)
