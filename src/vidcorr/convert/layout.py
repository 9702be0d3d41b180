"""What the converters share: reading a released file safely, and mapping its keys onto ours."""

from __future__ import annotations

import argparse
import os
import pickle
import re
from pathlib import Path

import torch

SAFE_OBJECTS = [argparse.Namespace]  # CRW stores its training arguments; nothing else outside tensors is let in


class LayoutError(ValueError):
    """A file whose keys fit no layout of the format asked for."""


def read_foreign(path: str | os.PathLike) -> dict:
    """A released checkpoint's contents, loaded with torch's weights-only unpickler (plus SAFE_OBJECTS)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist: give the path of the released file")
    try:
        with torch.serialization.safe_globals(SAFE_OBJECTS):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ValueError(f"checkpoint {path} stores Python objects that are not loaded, since unpickling them could "
                         f"run code ({str(e).splitlines()[0]})") from e
    except Exception as e:
        raise ValueError(f"checkpoint {path} is damaged or not a torch file ({str(e).split('. ')[0]})") from e
    if not isinstance(state, dict):
        raise LayoutError(f"checkpoint {path} holds a {type(state).__name__}, not a dict of weights")
    return state


def tensors(state: dict, *wrappers: str) -> dict[str, torch.Tensor]:
    """The flat dict of tensors: under the first of `wrappers` present (e.g. 'state_dict', 'model'),
    else the file itself; a leading 'module.' (DataParallel) is dropped."""
    for w in wrappers:
        if isinstance(state.get(w), dict):
            state = state[w]
            break
    return {re.sub(r"^module\.", "", k): v for k, v in state.items() if isinstance(v, torch.Tensor)}


def renamed(state: dict[str, torch.Tensor], rules: list[tuple[str, str]], keep: str) -> dict[str, torch.Tensor]:
    """The entries whose key matches the regex `keep`, renamed by `rules` (applied in order)."""
    out = {}
    for key, value in state.items():
        if re.search(keep, key):
            for pattern, repl in rules:
                key = re.sub(pattern, repl, key)
            out[key] = value
    return out


def load_into(encoder: torch.nn.Module, weights: dict[str, torch.Tensor], fmt: str) -> torch.nn.Module:
    """Load strictly: a key missing or left over is a layout error (a loader that skipped it would leave
    random weights, as the anchors' partial loaders do silently)."""
    own = encoder.state_dict()
    missing = sorted(set(own) - set(weights))
    extra = sorted(set(weights) - set(own))
    shapes = [k for k in set(own) & set(weights) if own[k].shape != weights[k].shape]
    if missing or extra or shapes:
        parts = [f"{len(missing)} missing (e.g. {missing[:3]})" if missing else "",
                 f"{len(extra)} unexpected (e.g. {extra[:3]})" if extra else "",
                 f"{len(shapes)} of another shape (e.g. {sorted(shapes)[:3]})" if shapes else ""]
        raise LayoutError(f"the weights do not fit format {fmt!r}: " + "; ".join(p for p in parts if p))
    encoder.load_state_dict(weights)
    return encoder.eval()


def describe_keys(state: dict) -> str:
    flat = tensors(state, "state_dict", "model")
    keys = sorted(flat) or sorted(map(str, state))
    return f"{len(keys)} keys, e.g. {keys[:6]}"
