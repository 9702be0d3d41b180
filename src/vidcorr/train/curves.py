"""Training-curve picture from the per-step log."""

from __future__ import annotations

import os

import numpy as np

from ..atomic import atomic_file


def plot_curve(rows: list[dict], out: str | os.PathLike, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.array([r["global_step"] for r in rows])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for key in ("loss", "reconstruction", "compactness", "weight_map"):
        y = np.array([float(r.get(key, 0.0)) for r in rows])
        if key in ("compactness", "weight_map") and not y.any():
            continue
        ax.plot(steps, y, alpha=0.3, lw=0.8)
        k = max(1, len(y) // 20)
        smooth = np.convolve(y, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1:], smooth, lw=1.6, label=f"{key} (mean of {k})", color=ax.lines[-1].get_color())
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_file(out) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
