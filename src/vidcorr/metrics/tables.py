"""Metric CSVs: written atomically, floats at full precision."""

from __future__ import annotations

import csv
import os

from ..atomic import atomic_file


def _cell(v):
    return repr(float(v)) if isinstance(v, float) else v


def write_csv(path: str | os.PathLike, columns: list[str], rows: list[dict]) -> None:
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row.get(c, "")) for c in columns])


def sibling(path: str | os.PathLike, suffix: str) -> str:
    """results/x.csv + '_per_sequence' -> results/x_per_sequence.csv"""
    root, ext = os.path.splitext(str(path))
    return f"{root}{suffix}{ext or '.csv'}"
