"""Encoder checkpoints: a torch file holding {"encoder": state_dict, "encoder_config": {...}}.

Training checkpoints carry more (optimizer, memory bank, ...); propagation needs only these keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .encoder import ResNet18Stride4

ARCHITECTURES = {"resnet18_stride4": ResNet18Stride4}


def encoder_config(encoder: ResNet18Stride4) -> dict:
    return {"arch": "resnet18_stride4", "position": encoder.position.kind, "position_size": list(encoder.position.size),
            "layer4": not isinstance(encoder.layer4, torch.nn.Identity)}


def build_encoder(cfg: dict) -> ResNet18Stride4:
    arch = cfg.get("arch", "resnet18_stride4")
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown encoder architecture {arch!r}")
    return ARCHITECTURES[arch](position=cfg.get("position", "none"), position_size=tuple(cfg.get("position_size", (64, 64))),
                               layer4=cfg.get("layer4", True))


def save_encoder(path: str | os.PathLike, encoder: ResNet18Stride4, **extra) -> None:
    """Write an encoder checkpoint atomically."""
    from ..atomic import atomic_file

    with atomic_file(path) as tmp:
        torch.save({"encoder": encoder.state_dict(), "encoder_config": encoder_config(encoder), **extra}, tmp)


def load_encoder(path: str | os.PathLike, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Load an encoder in eval mode; a missing or malformed file is an error that says what to do."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint {path} does not exist: train one (the training stage writes results/train/.../*.pt), "
            "give the path of an existing one, or use the baselines 'copy-first' or 'lab'"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a corrupt file
        raise ValueError(f"checkpoint {path} cannot be read as a torch file ({e})") from e
    if not isinstance(state, dict) or "encoder" not in state:
        raise ValueError(f"checkpoint {path} holds no 'encoder' state; it is not a vidcorr checkpoint")
    try:
        encoder = build_encoder(state.get("encoder_config", {}))
        encoder.load_state_dict(state["encoder"])
    except (ValueError, RuntimeError) as e:
        raise ValueError(f"checkpoint {path}: {e}") from e
    return encoder.to(device).eval()
