"""Dataset readers behind one interface: a reader lists sequence names and returns Sequence objects."""

from __future__ import annotations

from .base import DatasetLayoutError, DatasetReader, Sequence
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
    "frames": FrameFolderReader,
}


def open_dataset(kind: str, root, **options) -> DatasetReader:
    """Open a dataset of `kind` (davis, ytvos, vip, jhmdb, frames) at `root`."""
    try:
        cls = READERS[kind]
    except KeyError:
        raise ValueError(f"unknown dataset type {kind!r}; choose one of {sorted(READERS)}") from None
    return cls(root, **options)


__all__ = ["DatasetLayoutError", "DatasetReader", "Sequence", "READERS", "open_dataset"]
