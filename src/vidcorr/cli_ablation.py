"""`vidcorr ablation`: aggregate the experiments' metrics into results/ablation.csv and the tables."""

from __future__ import annotations

from pathlib import Path


def _ablation(args) -> int:
    import yaml

    from .ablation.aggregate import (
        COLUMNS,
        aggregate,
        check_paper_file,
        read_paper_values,
        read_server_scores,
    )
    from .ablation.tables import write_tables
    from .metrics.tables import write_csv
    from .provenance import code_version

    manifest = yaml.safe_load(Path(args.manifest).read_text())
    manifest = {**manifest.get("manifest", manifest), "code_version": code_version()}
    paper = read_paper_values(args.paper)
    missing = check_paper_file(paper, manifest)
    if missing:
        raise ValueError(f"{args.paper} lists no paper value for {missing[:5]}: add rows (empty value if unknown)")
    server = read_server_scores(args.server_scores) if args.server_scores else None
    rows = aggregate(manifest, args.metrics, paper, args.submissions, server)
    write_csv(args.out, COLUMNS, rows)
    write_tables(manifest, rows, args.tables, args.plots)
    print(f"{len(rows)} rows over {len(manifest['tables'])} tables -> {args.out}")
    return 0


def add_commands(sub) -> None:
    a = sub.add_parser("ablation", help="aggregate experiment metrics into ablation.csv, tables and plots")
    a.add_argument("metrics", nargs="*", help="results/metrics/<method>/<dataset>.csv of every experiment run")
    a.add_argument("--submissions", nargs="*", default=[],
                   help="results/submissions/<method>/<dataset>.zip of the runs the YouTube-VOS server scores")
    a.add_argument("--server-scores", default="",
                   help="CSV method,dataset,metric,value (percent) with the YouTube-VOS server's numbers")
    a.add_argument("--manifest", required=True, help="results/ablation/manifest.yaml (written by the workflow)")
    a.add_argument("--paper", required=True, help="CSV of the papers' values (workflow/resources/paper_values.csv)")
    a.add_argument("--out", required=True, help="results/ablation.csv")
    a.add_argument("--tables", required=True, help="folder for <table>.md and <table>.tex")
    a.add_argument("--plots", required=True, help="folder for <table>.png")
    a.set_defaults(func=_ablation)
    c = sub.add_parser("learning-curve", help="J&F of a run's epoch checkpoints against steps, beside the baselines")
    c.add_argument("--point", nargs=3, action="append", default=[], metavar=("RUN", "STEP", "METRICS"),
                   help="one point: run name, training step, its metrics CSV from `vidcorr evaluate davis`")
    c.add_argument("--baseline", nargs=2, action="append", default=[], metavar=("NAME", "METRICS"),
                   help="a flat line: method name and its metrics CSV")
    c.add_argument("--title", default="")
    c.add_argument("--out", required=True, help="CSV of every value (results/learning_curve.csv)")
    c.add_argument("--plot", required=True, help="the figure (PNG)")
    c.set_defaults(func=_learning_curve)


def _learning_curve(args) -> int:
    from .ablation.learning_curve import write_learning_curve

    points = [(run, int(step), path) for run, step, path in args.point]
    write_learning_curve(points, [tuple(b) for b in args.baseline], args.out, args.plot, args.title)
    print(f"{len(points)} points, {len(args.baseline)} baselines -> {args.out}, {args.plot}")
    return 0
