"""Encoder checkpoints: a torch file holding {"encoder": state_dict, "encoder_config": {...}}.

Training checkpoints carry more (optimizer, memory bank, ...); propagation needs only these keys.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import torch

from .encoder import ResNet18Stride4
from .resnet_trunk import ResNetTrunk
from .vit import ViTPatches

ARCHITECTURES = {c.arch: c for c in (ResNet18Stride4, ResNetTrunk, ViTPatches)}  # each: config(), from_config()


def encoder_config(encoder: torch.nn.Module) -> dict:
    return encoder.config()


def build_encoder(cfg: dict) -> torch.nn.Module:
    arch = cfg.get("arch", "resnet18_stride4")
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown encoder architecture {arch!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[arch].from_config(cfg)


def write_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """The one writer of checkpoints (encoders, and training states with more keys): atomically,
    so a killed job never leaves a half-written file that would load."""
    from ..atomic import atomic_file

    with atomic_file(path) as tmp:
        torch.save(state, tmp)


def save_encoder(path: str | os.PathLike, encoder: torch.nn.Module, **extra) -> None:
    """Write an encoder checkpoint (what propagation reads)."""
    write_checkpoint(path, {"encoder": encoder.state_dict(), "encoder_config": encoder_config(encoder), **extra})


def _check_crc(path: Path) -> None:
    """torch's zip reader skips the CRC32 every entry carries, so a damaged byte in a tensor would load."""
    if not zipfile.is_zipfile(path):
        return  # torch.load will say what is wrong
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ValueError(f"checkpoint {path} is damaged or not a torch file ({e}); train it again or copy it again") from e
    if bad is not None:
        raise ValueError(f"checkpoint {path} is damaged or not a torch file (entry {bad} fails its CRC check); "
                         "train it again or copy it again")


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The state dict of a vidcorr checkpoint; a missing, damaged or foreign file is an error saying what to do."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint {path} does not exist: train one (the training stage writes results/train/.../*.pt), "
            "give the path of an existing one, or use the baselines 'copy-first' or 'lab'"
        )
    _check_crc(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:  # torch's advice (weights_only=False) would run the file's code
        raise ValueError(f"checkpoint {path} holds Python objects besides tensors and is not loaded, since "
                         "unpickling them could run code; it is not a vidcorr checkpoint") from e
    except Exception as e:  # torch raises many types for a damaged file; its first sentence says which part
        raise ValueError(f"checkpoint {path} is damaged or not a torch file ({str(e).split('. ')[0]}); "
                         "train it again or copy it again") from e
    if not isinstance(state, dict) or "encoder" not in state:
        raise ValueError(f"checkpoint {path} holds no 'encoder' state; it is not a vidcorr checkpoint")
    weights, cfg = state["encoder"], state.get("encoder_config", {})
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()) \
            or not isinstance(cfg, dict):
        raise ValueError(f"checkpoint {path}: its 'encoder' is not a dict of tensors (or its 'encoder_config' not a "
                         "dict); it is not a vidcorr checkpoint: train it again, or convert a released file with "
                         "`vidcorr convert-checkpoint`")
    bad = [k for k, v in weights.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"checkpoint {path}: {len(bad)} weight tensor(s) hold NaN or infinity (e.g. {bad[:3]}); "
                         "the training diverged or the file is damaged: train it again")
    return state


def load_encoder(path: str | os.PathLike, device: str | torch.device = "cpu") -> torch.nn.Module:
    """Load an encoder in eval mode."""
    state = read_checkpoint(path)
    try:
        encoder = build_encoder(state.get("encoder_config", {}))
        encoder.load_state_dict(state["encoder"])
    except (ValueError, RuntimeError, TypeError, KeyError) as e:
        raise ValueError(f"checkpoint {path}: its weights do not fit its encoder_config ({' '.join(str(e).split())[:300]})") from e
    return encoder.to(device).eval()
