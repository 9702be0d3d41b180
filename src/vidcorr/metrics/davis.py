"""Semi-supervised DAVIS evaluation: J and F per object and frame, then per-object and global scores.

Protocol (davis2017-evaluation, semi-supervised task): the objects are the ids 1..max of the
first annotated frame; the first and last frames are excluded; void pixels (255) count as
background; a prediction with fewer objects is padded with empty masks, one with more is an error.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..datasets.base import DatasetLayoutError, DatasetReader
from ..datasets.masks import VOID, read_label
from .tables import sibling, write_csv
from .davis_measures import boundary_f, boundary_radius, crop_box, region_j, statistics

COLUMNS = ["J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"]


class PredictionError(ValueError):
    """A prediction that cannot be scored; the message names the sequence and frame."""


@dataclass
class SequenceScores:
    name: str
    frames: list[str]  # evaluated frame names (first and last excluded)
    j: np.ndarray  # (objects, frames)
    f: np.ndarray  # (objects, frames)


@dataclass
class DavisScores:
    """Per-object statistics (keyed <seq>_<id>) and the global means over objects."""

    per_object: dict[str, dict[str, float]] = field(default_factory=dict)
    sequences: list[SequenceScores] = field(default_factory=list)

    @property
    def global_scores(self) -> dict[str, float]:
        cols = {c: float(np.mean([o[c] for o in self.per_object.values()])) for c in COLUMNS[1:]}
        return {"J&F-Mean": (cols["J-Mean"] + cols["F-Mean"]) / 2, **cols}


def evaluate_sequence(name: str, gt_paths: list[Path], pred_dir: Path) -> SequenceScores:
    """Score one sequence's predictions (<pred_dir>/<frame>.png) against its annotations."""
    first = read_label(gt_paths[0])
    n_obj = int(first[first != VOID].max(initial=0))
    if n_obj == 0:
        raise DatasetLayoutError("DAVIS", gt_paths[0], f"the first-frame annotation holds no object (only background or "
                                 f"void {VOID}): the sequence has nothing to score", "fix the mask, or leave the sequence out")
    radius = boundary_radius(first.shape)
    evaluated = gt_paths[1:-1]
    preds = []
    for gp in evaluated:
        pp = pred_dir / gp.name
        if not pp.is_file():
            raise PredictionError(f"sequence {name}, frame {gp.stem}: prediction {pp} is missing")
        pred = read_label(pp)
        if pred.shape != first.shape:
            raise PredictionError(
                f"sequence {name}, frame {gp.stem}: prediction {pp} is {pred.shape[1]}x{pred.shape[0]}, "
                f"the annotation is {first.shape[1]}x{first.shape[0]}"
            )
        if pred.max() > n_obj:
            raise PredictionError(
                f"sequence {name}, frame {gp.stem}: prediction {pp} holds object id {int(pred.max())} "
                f"but the first-frame annotation has only {n_obj} object(s)"
            )
        preds.append(pred)
    j = np.zeros((n_obj, len(evaluated)))
    f = np.zeros((n_obj, len(evaluated)))
    for t, (gp, pred) in enumerate(zip(evaluated, preds)):
        gt = read_label(gp)
        if gt.shape != first.shape:
            raise DatasetLayoutError(
                "DAVIS", gp, f"annotation is {gt.shape[1]}x{gt.shape[0]} but the sequence's first annotation "
                f"{gt_paths[0].name} is {first.shape[1]}x{first.shape[0]}", "every mask of a sequence must have one size")
        box = crop_box(gt, pred)
        if box is None:
            j[:, t] = f[:, t] = 1.0
            continue
        g, p = gt[box], pred[box]
        # Void (255) and ids absent from the first frame never match an object id below.
        for k in range(n_obj):
            gk, pk = g == k + 1, p == k + 1
            j[k, t] = region_j(gk, pk)
            f[k, t] = boundary_f(gk, pk, radius)
    return SequenceScores(name, [p.stem for p in evaluated], j, f)


def _evaluate_one(args) -> SequenceScores:
    name, gt_paths, pred_dir = args
    return evaluate_sequence(name, gt_paths, pred_dir)


def evaluate_davis(reader: DatasetReader, results_dir: str | os.PathLike, *, workers: int = 1) -> DavisScores:
    """Evaluate <results_dir>/<seq>/<frame>.png for every sequence of the reader (a DAVIS-layout
    split, or any mask dataset whose every frame is annotated)."""
    results_dir = Path(results_dir)
    jobs = []
    for name in reader.names():
        gt_paths = reader.label_paths(name)
        if len(gt_paths) < 3:
            raise PredictionError(f"sequence {name}: needs at least 3 annotated frames, found {len(gt_paths)}")
        if not (results_dir / name).is_dir():
            raise PredictionError(f"sequence {name}: no prediction folder {results_dir / name}")
        jobs.append((name, gt_paths, results_dir / name))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            sequences = list(pool.map(_evaluate_one, jobs))
    else:
        sequences = [_evaluate_one(job) for job in jobs]
    scores = DavisScores(sequences=sequences)
    for seq in sequences:
        for k in range(seq.j.shape[0]):
            jm, jr, jd = statistics(seq.j[k])
            fm, fr, fd = statistics(seq.f[k])
            scores.per_object[f"{seq.name}_{k + 1}"] = {
                "J&F-Mean": (jm + fm) / 2, "J-Mean": jm, "J-Recall": jr, "J-Decay": jd,
                "F-Mean": fm, "F-Recall": fr, "F-Decay": fd,
            }
    return scores


def write_davis_tables(scores: DavisScores, out: str | os.PathLike) -> str:
    """<out>: the official evaluator's table (a global row, then per object); beside it
    _per_sequence and _per_frame CSVs. Returns the one-line summary."""
    rows = [{"Sequence": "global", **scores.global_scores}]
    rows += [{"Sequence": k, **v} for k, v in scores.per_object.items()]
    write_csv(out, ["Sequence", *COLUMNS], rows)
    seq_rows, frame_rows = [], []
    for s in scores.sequences:
        jm, fm = float(s.j.mean()), float(s.f.mean())
        seq_rows.append({"Sequence": s.name, "J&F-Mean": (jm + fm) / 2, "J-Mean": jm, "F-Mean": fm,
                         "objects": s.j.shape[0]})
        for k in range(s.j.shape[0]):
            for t, frame in enumerate(s.frames):
                frame_rows.append({"Sequence": s.name, "object": k + 1, "frame": frame,
                                   "J": float(s.j[k, t]), "F": float(s.f[k, t])})
    write_csv(sibling(out, "_per_sequence"), ["Sequence", "J&F-Mean", "J-Mean", "F-Mean", "objects"], seq_rows)
    write_csv(sibling(out, "_per_frame"), ["Sequence", "object", "frame", "J", "F"], frame_rows)
    g = scores.global_scores
    return f"J&F {g['J&F-Mean']:.4f}  J {g['J-Mean']:.4f}  F {g['F-Mean']:.4f}"
