"""`vidcorr ablation` (results/ablation.csv and the tables), `vidcorr learning-curve` and `vidcorr zoo-table`."""

from __future__ import annotations

from ..sections import read_section


def _ablation(args) -> int:
    from ..ablation.aggregate import write_ablation

    manifest = read_section(args.manifest, "manifest", "ablation manifest")
    rows = write_ablation(manifest, [tuple(m) for m in args.metrics], args.paper, args.out, args.tables, args.plots,
                          [tuple(s) for s in args.submission], args.server_scores or None)
    print(f"{len(rows)} rows over {len(manifest['tables'])} tables -> {args.out}")
    return 0


def _learning_curve(args) -> int:
    from ..ablation.learning_curve import write_learning_curve

    points = [(run, int(step), path) for run, step, path in args.point]
    write_learning_curve(points, [tuple(b) for b in args.baseline], args.out, args.plot, args.title)
    print(f"{len(points)} points, {len(args.baseline)} baselines -> {args.out}, {args.plot}")
    return 0


def _zoo_table(args) -> int:
    import json

    from ..ablation.zoo import write_zoo_table

    try:
        manifest = json.loads(args.manifest)
    except json.JSONDecodeError as e:
        raise ValueError(f"--manifest is not JSON ({e}): the workflow's zoo_table rule writes it") from None
    rows = write_zoo_table(manifest, [tuple(m) for m in args.metrics], args.md, args.csv)
    print(f"{len(rows)} rows ({sum('own' in r for r in rows)} scored) -> {args.md}, {args.csv}")
    return 0


def add_commands(sub) -> None:
    a = sub.add_parser("ablation", help="aggregate experiment metrics into ablation.csv, tables and plots")
    a.add_argument("--metrics", nargs=3, action="append", default=[], metavar=("METHOD", "DATASET", "CSV"),
                   help="one experiment run's metrics table (results/metrics/<method>/<dataset>.csv)")
    a.add_argument("--submission", nargs=3, action="append", default=[], metavar=("METHOD", "DATASET", "ZIP"),
                   help="a zip of a run the YouTube-VOS server scores (results/submissions/<method>/<dataset>.zip)")
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
                   help="one point: run name, training step, its metrics CSV from `vidcorr evaluate`")
    c.add_argument("--baseline", nargs=2, action="append", default=[], metavar=("NAME", "METRICS"),
                   help="a flat line: method name and its metrics CSV")
    c.add_argument("--title", default="")
    c.add_argument("--out", required=True, help="CSV of every value (results/learning_curve.csv)")
    c.add_argument("--plot", required=True, help="the figure (PNG)")
    c.set_defaults(func=_learning_curve)

    z = sub.add_parser("zoo-table", help="released checkpoints under their own protocol and ours, beside printed values")
    z.add_argument("--manifest", required=True, help="JSON: the zoo's models and datasets (vidcorr.plan Plan.zoo_manifest)")
    z.add_argument("--metrics", nargs=3, action="append", default=[], metavar=("METHOD", "DATASET", "CSV"),
                   help="one zoo method's metrics table (results/metrics/zoo-<model>-<own|ours>/<dataset>.csv)")
    z.add_argument("--md", required=True, help="the table (results/zoo/zoo.md)")
    z.add_argument("--csv", required=True, help="the same as CSV (results/zoo/zoo.csv)")
    z.set_defaults(func=_zoo_table)
