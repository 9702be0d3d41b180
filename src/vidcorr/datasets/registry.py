"""The reader of each dataset type, and opening a dataset by its type."""

from __future__ import annotations

from .base import DatasetReader
from .davis import DavisReader
from .frame_folders import FrameFolderReader
from .jhmdb import JHMDBReader
from .vip import VIPReader
from .ytvos import YouTubeVOSReader

READERS = {
    "davis": DavisReader,
    "ytvos": YouTubeVOSReader,
    "vip": VIPReader,
    "jhmdb": JHMDBReader,
    "videos": FrameFolderReader,  # a videos dataset is read from the frame folders the frames stage wrote
}


def open_dataset(kind: str, root, sequences=None, exclude=None, **options) -> DatasetReader:
    """Open a dataset of `kind` (davis, ytvos, vip, jhmdb, videos) at `root`; `sequences` keeps
    only those of the split, `exclude` drops some (held-out dev sequences)."""
    try:
        cls = READERS[kind]
    except KeyError:
        raise ValueError(f"unknown dataset type {kind!r}; choose one of {sorted(READERS)}") from None
    return cls(root, **options).select(sequences, exclude)

