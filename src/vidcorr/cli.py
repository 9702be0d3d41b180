"""`vidcorr` console command: one subcommand per pipeline stage, so every rule can be run by hand."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from .atomic import atomic_file, write_json
from .provenance import record


def _frames(args) -> int:
    from .frames import extract_video

    m = extract_video(args.video, args.out, fps=args.fps, short_side=args.short_side,
                      jpeg_quality=args.jpeg_quality, skip_bad=args.skip_bad)
    if m["status"] == "skipped":
        print(f"skipped {args.video}: {m['reason']}", file=sys.stderr)
    else:
        print(f"{args.video}: {m['num_frames']} frames -> {args.out}")
    return 0


def _synth(args) -> int:
    from .synthetic import generate_benchmark

    names = generate_benchmark(args.out, seed=args.seed, num_sequences=args.sequences, num_frames=args.frames,
                               width=args.width, height=args.height, num_objects=args.objects,
                               jpeg_quality=args.jpeg_quality)
    print(f"wrote {len(names)} sequences to {args.out}")
    return 0


def _index(args) -> int:
    """List every sequence of a dataset with its frame and label counts, validating the layout."""
    from .datasets import open_dataset

    options = json.loads(args.options) if args.options else {}
    reader = open_dataset(args.type, args.root, **options)
    sequences = []
    for seq in reader:
        sequences.append({
            "name": seq.name,
            "num_frames": len(seq),
            "num_labels": len(seq.labels),
            "objects": {str(k): v for k, v in sorted(seq.first_frame.items())},
            "has_keypoints": seq.keypoints is not None,
            "first_frame": str(seq.frames[0]),
        })
    index = {"type": args.type, "root": str(Path(args.root).resolve()), "options": options,
             "sequences": sequences,
             "provenance": record(config={"type": args.type, "options": options}, inputs=[str(args.root)])}
    skipped = reader.skipped() if args.type == "frames" else []
    if args.type == "frames":
        index["skipped"] = skipped
    if args.skipped:
        with atomic_file(args.skipped) as tmp, open(tmp, "w", newline="") as f:
            w = csv.writer(f, delimiter="\t")
            w.writerow(["video", "source", "reason"])
            for m in skipped:
                w.writerow([m["video"], m["source"], m["reason"]])
    write_json(args.out, index)
    print(f"{args.type} {args.root}: {len(sequences)} sequences -> {args.out}")
    return 0


def _preview(args) -> int:
    """A PNG with a few frames of the first sequences and their labels drawn on them."""
    import numpy as np

    from .datasets import open_dataset
    from .viz import sequence_strip, write_rows_png

    options = json.loads(args.options) if args.options else {}
    reader = open_dataset(args.type, args.root, **options)
    rows = []
    for name in reader.names()[: args.sequences]:
        seq = reader.sequence(name)
        picks = np.linspace(0, len(seq) - 1, num=min(args.frames, len(seq))).round().astype(int)
        rows.append(sequence_strip(seq, [int(i) for i in picks]))
    if not rows:
        raise ValueError(f"{args.root}: the dataset has no sequence to preview")
    write_rows_png(rows, args.out)
    print(f"wrote {args.out}")
    return 0


def _settings(args) -> int:
    """Write one config section (given as JSON) as a YAML file that `--config` options read."""
    import yaml

    from .atomic import write_text

    write_text(args.out, yaml.safe_dump({args.section: json.loads(args.json)}, sort_keys=True))
    print(f"wrote {args.out}")
    return 0


def _summarize(args) -> int:
    from .metrics.summary import summarize

    rows = summarize(args.metrics, args.out, args.plot)
    print(f"summarised {len(rows)} values -> {args.out}")
    return 0


def _train(args) -> int:
    import yaml

    from .train.config import TrainConfig
    from .train.loop import train

    data = {}
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise FileNotFoundError(f"training config {path} does not exist")
        data = yaml.safe_load(path.read_text()) or {}
        data = data.get("train", data)
    cfg = TrainConfig.from_dict({**data, **({"stage": args.stage} if args.stage else {})})
    if args.init and not Path(args.init).is_file():
        raise FileNotFoundError(f"initial checkpoint {args.init} does not exist; train the previous stage first")
    final = train(cfg, args.data, args.out, init=args.init, device=args.device, flow=args.flow)
    print(f"{cfg.stage} stage done -> {final}")
    return 0


def _add_dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--type", required=True, choices=["davis", "ytvos", "vip", "jhmdb", "frames"])
    p.add_argument("--root", required=True)
    p.add_argument("--options", default=None, help='reader options as JSON, e.g. \'{"split": "val", "year": 2017}\'')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vidcorr", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    f = sub.add_parser("frames", help="decode one video into JPEG frames plus manifest.json")
    f.add_argument("--video", required=True)
    f.add_argument("--out", required=True, help="frame folder to create")
    f.add_argument("--fps", type=float, default=None, help="resample to this rate (never above native)")
    f.add_argument("--short-side", type=int, default=None, help="resize so the short side has this many pixels")
    f.add_argument("--jpeg-quality", type=int, default=95)
    f.add_argument("--skip-bad", action="store_true", help="record an undecodable video as skipped instead of failing")
    f.set_defaults(func=_frames)

    s = sub.add_parser("synth", help="generate the seeded synthetic benchmark (DAVIS/VIP/JHMDB layouts + flow)")
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--sequences", type=int, default=4)
    s.add_argument("--frames", type=int, default=24)
    s.add_argument("--width", type=int, default=320)
    s.add_argument("--height", type=int, default=240)
    s.add_argument("--objects", type=int, default=3)
    s.add_argument("--jpeg-quality", type=int, default=95)
    s.set_defaults(func=_synth)

    i = sub.add_parser("index", help="validate a dataset and write its sequence index (JSON)")
    _add_dataset_args(i)
    i.add_argument("--out", required=True)
    i.add_argument("--skipped", default=None, help="(frames) write the skipped videos and reasons here as TSV")
    i.set_defaults(func=_index)

    v = sub.add_parser("preview", help="draw a few frames of a dataset with their labels into one PNG")
    _add_dataset_args(v)
    v.add_argument("--out", required=True)
    v.add_argument("--sequences", type=int, default=2)
    v.add_argument("--frames", type=int, default=5)
    v.set_defaults(func=_preview)

    st = sub.add_parser("settings", help="write a config section (JSON) as YAML for --config options")
    st.add_argument("--section", required=True)
    st.add_argument("--json", required=True)
    st.add_argument("--out", required=True)
    st.set_defaults(func=_settings)

    sm = sub.add_parser("summarize", help="table and bar chart of headline metrics from metric CSVs")
    sm.add_argument("metrics", nargs="+", help="results/metrics/<method>/<dataset>.csv files")
    sm.add_argument("--out", required=True)
    sm.add_argument("--plot", default=None)
    sm.set_defaults(func=_summarize)

    tr = sub.add_parser("train", help="train one stage (warm-up, inter-video or MER); resumes from <out>/last.pt")
    tr.add_argument("--config", default=None, help="YAML with the stage's settings (a `train:` section or flat)")
    tr.add_argument("--stage", choices=["warmup", "inter", "mer"], default=None, help="overrides the config's stage")
    tr.add_argument("--data", nargs="+", required=True, help="dataset index JSONs (results/index/<dataset>.json)")
    tr.add_argument("--out", required=True, help="run folder: epoch_NNN.pt, last.pt, final.pt, log.csv, curve.png, tb/")
    tr.add_argument("--init", default=None, help="start from this checkpoint (the previous stage's final.pt)")
    tr.add_argument("--flow", nargs="+", default=None, help="(mer with flow fusion) results/flow/<dataset>/index.json")
    tr.add_argument("--device", default="auto")
    tr.set_defaults(func=_train)

    from . import cli_ablation, cli_eval, cli_flow

    cli_eval.add_commands(sub)
    cli_flow.add_commands(sub)
    cli_ablation.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError, FloatingPointError) as e:
        print(f"vidcorr {args.command}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
