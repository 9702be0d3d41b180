"""Learning curve: a metric of a run's encoder against training steps, beside the untrained
baselines (Lab colour, copy-first) as flat lines. A rising curve that crosses the Lab line is
what shows that training learns correspondence beyond colour. Which checkpoints are its points
is planned in vidcorr.plan.curve."""

from __future__ import annotations

import csv
import os

from ..atomic import atomic_file

METRIC = "J&F-Mean"


def _metric(path: str) -> float:
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if METRIC in row:
                return float(row[METRIC])
    raise ValueError(f"{path}: no {METRIC} column; expected a DAVIS metrics table from `vidcorr evaluate davis`")


def write_learning_curve(points: list[tuple[str, int, str]], baselines: list[tuple[str, str]],
                         out_csv: str | os.PathLike, out_png: str | os.PathLike, title: str = "") -> None:
    """points: (run, step, metrics CSV); baselines: (name, metrics CSV) -> a CSV of every value
    and the figure."""
    rows = [{"run": run, "step": step, "metric": METRIC, "value": _metric(path), "source": path}
            for run, step, path in points]
    rows += [{"run": name, "step": "", "metric": METRIC, "value": _metric(path), "source": path}
             for name, path in baselines]
    with atomic_file(out_csv) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, ["run", "step", "metric", "value", "source"])
        w.writeheader()
        w.writerows(rows)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for i, run in enumerate(dict.fromkeys(r for r, _, _ in points)):  # runs share early points: later ones drawn thinner
        xy = sorted((r["step"], r["value"]) for r in rows if r["run"] == run and r["step"] != "")
        ax.plot([x for x, _ in xy], [y for _, y in xy], marker="o", label=run, lw=max(3 - i, 1), ms=max(9 - 3 * i, 4))
    for style, (name, _) in zip(("--", ":", "-."), baselines):
        value = next(r["value"] for r in rows if r["run"] == name and r["step"] == "")
        ax.axhline(value, ls=style, color="grey", label=f"{name} ({value:.3f})")
    steps = sorted({s for _, s, _ in points if s > 0})
    if len(steps) > 1 and steps[-1] / steps[0] >= 8:
        ax.set_xscale("symlog", linthresh=steps[0])
    ax.set_xlabel("training step (all stages)")
    ax.set_ylabel(METRIC)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_file(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
