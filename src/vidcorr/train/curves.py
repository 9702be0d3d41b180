"""Training-curve picture from the per-step log: the loss terms, and below them each term's
gradient norm on the encoder (logged every `grad_log_every` steps), which shows the term the
encoder actually learns from."""

from __future__ import annotations

import os

import numpy as np

from ..atomic import atomic_file

TERMS = ("reconstruction", "compactness", "weight_map", "pos_neg", "ven")


def plot_curve(rows: list[dict], out: str | os.PathLike, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.array([r["global_step"] for r in rows])
    grads = {t: [(r["global_step"], float(r[f"grad_{t}"])) for r in rows if r.get(f"grad_{t}", "") != ""] for t in TERMS}
    grads = {t: np.array(v) for t, v in grads.items() if v and any(g > 0 for _, g in v)}
    fig, axes = plt.subplots(2 if grads else 1, 1, figsize=(6, 6 if grads else 3.5), sharex=True, squeeze=False)
    ax = axes[0, 0]
    for key in ("loss", *TERMS):
        y = np.array([float(r.get(key, 0.0)) for r in rows])
        if key in TERMS[1:] and not y.any():
            continue
        ax.plot(steps, y, alpha=0.3, lw=0.8)
        k = max(1, len(y) // 20)
        smooth = np.convolve(y, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1:], smooth, lw=1.6, label=f"{key} (mean of {k})", color=ax.lines[-1].get_color())
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize=8)
    if grads:
        gax = axes[1, 0]
        for t, v in grads.items():
            gax.plot(v[:, 0], v[:, 1], marker=".", lw=1, label=f"|grad| {t}")
        gax.set_yscale("log")
        gax.set_ylabel("gradient norm on the encoder")
        gax.legend(fontsize=8)
    axes[-1, 0].set_xlabel("step")
    fig.tight_layout()
    with atomic_file(out) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
