"""Benchmark metrics: DAVIS J&F (exactly as davis2017-evaluation), VIP mIoU, JHMDB PCK.

SCORERS maps a reader's `scorer` to its metric and the writer of its tables, so a new dataset
whose labels one of them scores needs nothing here."""

from .davis import DavisScores, PredictionError, evaluate_davis, evaluate_sequence, write_davis_tables
from .jhmdb import JHMDBScores, evaluate_jhmdb, write_jhmdb_tables
from .vip import VIPScores, evaluate_vip, write_vip_tables


def _davis(reader, results, workers):
    return evaluate_davis(reader, results, workers=workers)


SCORERS = {  # scorer -> (scores of a reader's predictions, their tables' writer)
    "davis": (_davis, write_davis_tables),
    "vip": (lambda reader, results, workers: evaluate_vip(reader, results), write_vip_tables),
    "jhmdb": (lambda reader, results, workers: evaluate_jhmdb(reader, results), write_jhmdb_tables),
}


def score_dataset(reader, results, out, workers: int = 1) -> str:
    """Score <results> against the reader's labels and write the tables at <out>; returns the
    summary line."""
    if reader.scorer not in SCORERS:
        raise ValueError(f"{reader.kind} dataset {reader.root}: no local metric scores it"
                         + (" (its challenge server does: zip the propagation with `vidcorr zip-submission`)"
                            if reader.scorer == "server" else ""))
    evaluate, write = SCORERS[reader.scorer]
    return write(evaluate(reader, results, workers), out)


__all__ = ["DavisScores", "PredictionError", "evaluate_davis", "evaluate_sequence", "JHMDBScores", "evaluate_jhmdb",
           "VIPScores", "evaluate_vip", "SCORERS", "score_dataset"]
