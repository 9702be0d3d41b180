"""Benchmark metrics: DAVIS J&F (exactly as davis2017-evaluation), VIP mIoU, JHMDB PCK."""

from .davis import DavisScores, PredictionError, evaluate_davis, evaluate_sequence
from .jhmdb import JHMDBScores, evaluate_jhmdb
from .vip import VIPScores, evaluate_vip

__all__ = ["DavisScores", "PredictionError", "evaluate_davis", "evaluate_sequence",
           "JHMDBScores", "evaluate_jhmdb", "VIPScores", "evaluate_vip"]
