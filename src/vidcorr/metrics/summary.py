"""One table and one bar chart of every method's headline metrics over the scored datasets."""

from __future__ import annotations

import csv
import os

from ..atomic import atomic_file
from . import SCORERS
from .tables import write_csv

HEADLINE = [c for s in SCORERS.values() for c in s.headline]  # what the summary shows
METRICS = [c for s in SCORERS.values() for c in s.columns]  # every global metric the papers' tables can show


def collect(tables: list[tuple[str, str, str | os.PathLike]], metrics: list[str] = HEADLINE) -> list[dict]:
    """Rows (method, dataset, metric, value) from (method, dataset, metrics CSV) triples."""
    rows = []
    for method, dataset, path in tables:
        with open(path, newline="") as f:
            glob = next((r for r in csv.DictReader(f) if r.get("Sequence") == "global"), None)
        if glob is None:
            raise ValueError(f"{path}: no 'global' row; is it a vidcorr metrics CSV?")
        for metric in metrics:
            if metric in glob:
                rows.append({"method": method, "dataset": dataset, "metric": metric, "value": float(glob[metric])})
    return rows


def plot(rows: list[dict], out: str | os.PathLike) -> None:
    """Grouped bars: one group per (dataset, metric), one bar per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    groups = sorted({(r["dataset"], r["metric"]) for r in rows})
    methods = sorted({r["method"] for r in rows})
    value = {(r["dataset"], r["metric"], r["method"]): r["value"] for r in rows}
    x = np.arange(len(groups))
    width = 0.8 / max(len(methods), 1)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(groups)), 4))
    for i, m in enumerate(methods):
        ys = [value.get((d, k, m), np.nan) for d, k in groups]
        bars = ax.bar(x + (i - (len(methods) - 1) / 2) * width, ys, width, label=m)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(x, [f"{d}\n{k}" for d, k in groups], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_file(out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def summarize(tables, out, plot_path=None) -> list[dict]:
    """tables: (method, dataset, metrics CSV) triples."""
    rows = collect(tables)
    write_csv(out, ["method", "dataset", "metric", "value"], rows)
    if plot_path:
        plot(rows, plot_path)
    return rows
