"""Released checkpoints of other methods, converted into vidcorr checkpoints (`vidcorr convert-checkpoint`).

A converted file is an ordinary encoder checkpoint (model/checkpoint.py): the architecture and
its input (Lab or ImageNet RGB) in `encoder_config`, plus where it came from (`source`) and the
method's own test protocol (`protocol`, a propagation preset: inference/presets.py). One module per
format says how its keys map onto ours; each was checked against the anchor's own forward pass
(benchmarks/convert_parity.py, docs/checkpoints.md).
"""

from __future__ import annotations

import os

import torch

from ..model.checkpoint import save_encoder
from ..provenance import sha256_file
from . import crw, dino, liir_port, mast, vfs
from .layout import LayoutError, describe_keys, read_foreign

FORMATS = {m.FORMAT: m for m in (mast, liir_port, crw, vfs, dino)}


def convert(fmt: str, src: str | os.PathLike) -> tuple[torch.nn.Module, dict]:
    """(encoder in eval mode, {'format', 'file', 'sha256', 'protocol'}) of a released file of format `fmt`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown checkpoint format {fmt!r}; known: {', '.join(FORMATS)}")
    state = read_foreign(src)
    module = FORMATS[fmt]
    try:
        encoder = module.convert(state)
    except LayoutError as e:
        fits = [f for f, m in FORMATS.items() if f != fmt and m.matches(state)]
        hint = f"; its keys look like format {fits[0]!r}" if fits else f"; known formats: {', '.join(FORMATS)}"
        raise LayoutError(f"checkpoint {src} is not a {fmt!r} checkpoint ({e}); it holds {describe_keys(state)}"
                          f"{hint}") from e
    return encoder, {"format": fmt, "file": str(src), "sha256": sha256_file(src), "protocol": module.PRESET}


def convert_checkpoint(fmt: str, src: str | os.PathLike, dst: str | os.PathLike) -> dict:
    """Write `src` (a released file of format `fmt`) as a vidcorr checkpoint at `dst`; returns its source record."""
    encoder, source = convert(fmt, src)
    save_encoder(dst, encoder, source=source, protocol=source["protocol"])
    return source


__all__ = ["FORMATS", "LayoutError", "convert", "convert_checkpoint", "read_foreign"]
