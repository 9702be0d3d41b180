"""Learning-curve points: which checkpoints a run's curve is drawn from.

A point is a checkpoint the stages already write: step 0 is the first stage's initial encoder
(epoch_000.pt), step s the end of an epoch, counting steps across the run's stages in order.
Points are named by checkpoint (`<stage key>@<epoch>`), so runs that share stages share them;
a point that is a run's final checkpoint is that run, propagated once.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import paths
from .runs import Run


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
        return paths.epoch_checkpoint(self.key, self.epoch)


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


