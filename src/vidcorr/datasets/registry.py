"""Opening a dataset by its type: datasets/types.py names each type's reader, imported here only
when a dataset of that type is opened."""

from __future__ import annotations

from importlib import import_module

from .base import DatasetReader
from .types import READER


def reader_class(kind: str) -> type[DatasetReader]:
    try:
        module, name = READER[kind].rsplit(".", 1)
    except KeyError:
        raise ValueError(f"unknown dataset type {kind!r}; choose one of {sorted(READER)}") from None
    return getattr(import_module(f"{__package__}.{module}"), name)


def open_dataset(kind: str, root, sequences=None, exclude=None, **options) -> DatasetReader:
    """Open a dataset of `kind` (davis, ytvos, vip, jhmdb, videos) at `root`; `sequences` keeps
    only those of the split, `exclude` drops some (held-out dev sequences)."""
    return reader_class(kind)(root, **options).select(sequences, exclude)
