"""The report's two dataset pictures: a preview of a dataset's labels, and predictions over frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..datasets.base import DatasetReader, Sequence
from .overlay import sequence_strip, write_rows_png


def _picks(seq: Sequence, frames: int) -> list[int]:
    """`frames` evenly spaced frame indices, first and last included."""
    return sorted({int(i) for i in np.linspace(0, len(seq) - 1, num=min(frames, len(seq))).round()})


def dataset_preview(reader: DatasetReader, out: str | os.PathLike, sequences: int = 2, frames: int = 5) -> None:
    """A few frames of the first sequences with their labels drawn on them."""
    rows = []
    for name in reader.names()[:sequences]:
        seq = reader.sequence(name)
        rows.append(sequence_strip(seq, _picks(seq, frames)))
    if not rows:
        raise ValueError(f"{reader.root}: the dataset has no sequence to preview")
    write_rows_png(rows, out)


def prediction_overlays(reader: DatasetReader, results: str | os.PathLike, out: str | os.PathLike,
                        sequences: int = 2, frames: int = 5) -> None:
    """Propagated labels (<results>/<seq>/...) over the frames of the first sequences."""
    rows = []
    for name in reader.names()[:sequences]:
        seq = reader.sequence(name)
        picks = _picks(seq, frames)
        done = Path(results) / name
        if reader.label_kind == "keypoints":
            shown = Sequence(name, seq.frames, keypoints=np.load(done / "keypoints.npy"))
        else:
            shown = Sequence(name, seq.frames, labels={i: done / f"{seq.frames[i].stem}.png" for i in picks})
        rows.append(sequence_strip(shown, picks))
    write_rows_png(rows, out)
