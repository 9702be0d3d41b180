"""Benchmark metrics: DAVIS J&F (exactly as davis2017-evaluation), VIP mIoU, JHMDB PCK.

SCORERS maps a reader's `scorer` to its metric, the writer of its tables and the global columns
those tables hold, so a new dataset whose labels one of them scores needs nothing here, and a new
metric is its module and its entry here (plus its type's line in datasets/types.py)."""

from dataclasses import dataclass
from typing import Callable

from .davis import DavisScores, PredictionError, evaluate_davis, evaluate_sequence, write_davis_tables
from .jhmdb import JHMDBScores, evaluate_jhmdb, write_jhmdb_tables
from .vip import VIPScores, evaluate_vip, write_vip_tables


def _davis(reader, results, workers):
    return evaluate_davis(reader, results, workers=workers)


@dataclass(frozen=True)
class Scorer:
    evaluate: Callable  # (reader, results folder, workers) -> scores
    write: Callable  # (scores, out) -> the summary line; writes the tables
    columns: tuple[str, ...]  # its tables' global metrics, in the papers' order (the ablation compares them all)
    headline: tuple[str, ...]  # those the summary table and chart show
    printed: str  # the one number a method prints for it (the zoo table)


SCORERS = {  # a reader's scorer -> its metric
    "davis": Scorer(_davis, write_davis_tables,
                    ("J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay"),
                    ("J&F-Mean", "J-Mean", "F-Mean"), "J&F-Mean"),
    "vip": Scorer(lambda reader, results, workers: evaluate_vip(reader, results), write_vip_tables,
                  ("mIoU", "AP"), ("mIoU", "AP"), "mIoU"),
    "jhmdb": Scorer(lambda reader, results, workers: evaluate_jhmdb(reader, results), write_jhmdb_tables,
                    ("PCK@0.1", "PCK@0.2"), ("PCK@0.1", "PCK@0.2"), "PCK@0.1"),
}


def score_dataset(reader, results, out, workers: int = 1) -> str:
    """Score <results> against the reader's labels and write the tables at <out>; returns the
    summary line."""
    if reader.scorer not in SCORERS:
        raise ValueError(f"{reader.kind} dataset {reader.root}: no local metric scores it"
                         + (" (its challenge server does: zip the propagation with `vidcorr zip-submission`)"
                            if reader.scorer == "server" else ""))
    scorer = SCORERS[reader.scorer]
    return scorer.write(scorer.evaluate(reader, results, workers), out)


__all__ = ["DavisScores", "PredictionError", "evaluate_davis", "evaluate_sequence", "JHMDBScores", "evaluate_jhmdb",
           "VIPScores", "evaluate_vip", "Scorer", "SCORERS", "score_dataset"]
