"""The dataset index, results/index/<dataset>.json: the one handle every stage opens a dataset by.

It records the reader type, root and options (so every stage reads the same split, subset and
resolution) and lists each sequence with its frame and label counts, checked once when written.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..atomic import atomic_file, write_json
from ..provenance import record
from ..structured import load_json
from . import open_dataset
from .base import DatasetReader


def build_index(kind: str, root: str | os.PathLike, options: dict) -> tuple[dict, DatasetReader]:
    """Open the dataset, read every sequence (which validates its layout), check it (the reader's
    checks that read more) and describe it."""
    reader = open_dataset(kind, root, **options)
    sequences = []
    for seq in reader:
        reader.check(seq)
        sequences.append({
            "name": seq.name,
            "num_frames": len(seq),
            "num_labels": len(seq.labels),
            "objects": {str(k): v for k, v in sorted(seq.first_frame.items())},
            "has_keypoints": seq.keypoints is not None,
            "first_frame": str(seq.frames[0]),
        })
    index = {"type": kind, "root": str(Path(root).resolve()), "options": options, "sequences": sequences,
             "skipped": reader.skipped(),
             "provenance": record(config={"type": kind, "options": options}, inputs=[str(root)])}
    return index, reader


def write_index(kind: str, root: str | os.PathLike, options: dict, out: str | os.PathLike,
                skipped_tsv: str | os.PathLike | None = None) -> dict:
    """Write the index JSON (and, when asked, the skipped videos as TSV: video, source, reason)."""
    index, reader = build_index(kind, root, options)
    if skipped_tsv:
        with atomic_file(skipped_tsv) as tmp, open(tmp, "w", newline="") as f:
            w = csv.writer(f, delimiter="\t")
            w.writerow(["video", "source", "reason"])
            for m in reader.skipped():
                w.writerow([m["video"], m["source"], m["reason"]])
    write_json(out, index)
    return index


INDEX_KEYS = ("type", "root")  # what opening an index needs (build_index writes more)


def read_index(path: str | os.PathLike) -> dict:
    """An index as build_index wrote it; a missing, truncated or foreign file is an error naming it."""
    p = Path(path)
    index = load_json(p, "dataset index", "run `vidcorr index` for the dataset (results/index/<dataset>.json)")
    missing = [k for k in INDEX_KEYS if not isinstance(index, dict) or k not in index]
    if missing:
        raise ValueError(f"dataset index {p} lacks {missing}; it is not a vidcorr dataset index: "
                         "run `vidcorr index` for the dataset")
    return index


def open_index(path: str | os.PathLike) -> DatasetReader:
    """The reader an index describes, with the options it was written with."""
    index = read_index(path)
    return open_dataset(index["type"], index["root"], **index.get("options", {}))
