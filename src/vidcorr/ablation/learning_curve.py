"""Learning curve: a metric of a run's encoder against training steps, beside the untrained
baselines (Lab colour, copy-first) as flat lines. A rising curve that crosses the Lab line is
what shows that training learns correspondence beyond colour.

A point is a checkpoint the stages already write: step 0 is the first stage's initial encoder
(epoch_000.pt), step s the end of an epoch, counting steps across the run's stages in order.
Points are named by checkpoint (`<stage key>@<epoch>`), so runs that share stages share them;
a point that is a run's final checkpoint is that run, propagated once.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

from ..atomic import atomic_file
from .variants import Run

METRIC = "J&F-Mean"


@dataclass(frozen=True)
class CurvePoint:
    run: str
    step: int  # across the run's stages
    key: str  # the stage whose epoch checkpoint it is
    epoch: int  # 0: the initial encoder
    final_of: str | None = None  # the run whose final checkpoint this is

    @property
    def method(self) -> str:
        return self.final_of or f"{self.key}@{self.epoch}"

    @property
    def checkpoint(self) -> str:
        return f"results/train/{self.key}/epoch_{self.epoch:03d}.pt"


def curve_points(run: Run, steps: list[int], runs: list[Run] = ()) -> list[CurvePoint]:
    """The run's checkpoints at `steps`; steps past the run's end are left out, a step inside an
    epoch is an error that says where the epochs end. A point that is the final checkpoint of one
    of `runs` is marked as that run's."""
    finals = {r.stages[-1].key: r.name for r in runs}
    at, end = {0: CurvePoint(run.name, 0, run.stages[0].key, 0)}, 0  # step -> the checkpoint written there
    for stage in run.stages:
        per_epoch, epochs = stage.settings["steps_per_epoch"], stage.settings["epochs"]
        for e in range(1, epochs + 1):
            at[end + e * per_epoch] = CurvePoint(run.name, end + e * per_epoch, stage.key, e,
                                                 finals.get(stage.key) if e == epochs else None)
        end += per_epoch * epochs
    inside = [s for s in sorted(set(steps)) if s <= end]
    missing = [s for s in inside if s not in at]
    if missing:
        raise ValueError(f"learning_curve.steps: step {missing[0]} of run {run.name!r} is not the end of an epoch; "
                         f"its epochs end at steps {sorted(at)[1:]}")
    return [at[s] for s in inside]


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
