"""`vidcorr evaluate` (score propagated labels with the dataset's metric) and `vidcorr summarize`."""

from __future__ import annotations

import os


def _evaluate(args) -> int:
    from ..datasets.index import open_index
    from ..metrics import score_dataset

    reader = open_index(args.index)
    print(f"{reader.kind} {reader.root}: {score_dataset(reader, args.results, args.out, args.workers)} -> {args.out}")
    return 0


def _summarize(args) -> int:
    from ..metrics.summary import summarize

    rows = summarize([tuple(m) for m in args.metrics], args.out, args.plot)
    print(f"summarised {len(rows)} values -> {args.out}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("evaluate", help="score propagated labels against ground truth")
    p.add_argument("--index", required=True, help="dataset index JSON (results/index/<dataset>.json)")
    p.add_argument("--results", required=True, help="folder of propagated labels (<seq>/...)")
    p.add_argument("--out", required=True, help="CSV: a 'global' row, then per object / sequence")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (DAVIS J&F)")
    p.set_defaults(func=_evaluate)

    sm = sub.add_parser("summarize", help="table and bar chart of headline metrics from metric CSVs")
    sm.add_argument("--metrics", nargs=3, action="append", required=True, metavar=("METHOD", "DATASET", "CSV"),
                    help="one metrics table: its method, dataset and CSV (results/metrics/<method>/<dataset>.csv)")
    sm.add_argument("--out", required=True)
    sm.add_argument("--plot", default=None)
    sm.set_defaults(func=_summarize)
