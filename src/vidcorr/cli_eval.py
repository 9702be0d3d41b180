"""`vidcorr propagate <task>` and `vidcorr evaluate <task>`: label propagation and its metrics."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import yaml

from .atomic import write_json
from .provenance import record, sha256_file

TASKS = {  # task -> (reader type, label kind, fixed class count)
    "davis": ("davis", "masks", None),
    "ytvos": ("ytvos", "masks", None),
    "vip": ("vip", "parts", 20),
    "jhmdb": ("jhmdb", "keypoints", None),
}


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _propagation_config(path: str | None):
    from .inference import PropagationConfig

    if not path:
        return PropagationConfig()
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"propagation config {p} does not exist")
    data = yaml.safe_load(p.read_text()) or {}
    return PropagationConfig.from_dict(data.get("propagation", data))


def _reader(args):
    from .datasets import open_dataset

    kind = TASKS[args.task][0]
    if args.task == "davis":
        return open_dataset("davis", args.davis_root, split=args.split, year=args.year, sequences=args.sequences,
                            exclude=args.exclude)
    if args.task == "jhmdb":
        return open_dataset("jhmdb", args.root, split=int(args.split), subset=args.subset)
    return open_dataset(kind, args.root, split=args.split)


def _propagate(args) -> int:
    import torch

    from .inference import Propagator, make_features
    from .inference.tasks import propagate_dataset, zip_submission

    torch.manual_seed(0)
    cfg = _propagation_config(args.config)
    device = _device(args.device)
    reader = _reader(args)
    propagator = Propagator(make_features(args.checkpoint, device), cfg, device)
    _, kind, classes = TASKS[args.task]
    names = propagate_dataset(reader, propagator, args.out, kind, num_classes=classes, keypoint_sigma=cfg.keypoint_sigma)
    ckpt = args.checkpoint
    write_json(Path(args.out) / "provenance.json", record(
        config=cfg.to_dict(), inputs=[str(reader.root)], task=args.task, split=str(args.split),
        checkpoint=ckpt, checkpoint_sha256=sha256_file(ckpt) if os.path.isfile(ckpt) else None,
        propagation=cfg.to_dict(), sequences=names, device=str(device),
    ))
    if args.task == "ytvos" and args.zip:
        zip_submission(args.out, args.zip)
    if args.overlays:
        _overlays(reader, args, kind)
    print(f"propagated {len(names)} sequences -> {args.out}")
    return 0


def _overlays(reader, args, kind) -> None:
    """A strip of predicted labels over frames for the first two sequences."""
    from .datasets.base import Sequence
    from .viz import sequence_strip, write_rows_png

    rows = []
    for name in reader.names()[:2]:
        seq = reader.sequence(name)
        picks = sorted({int(i) for i in np.linspace(0, len(seq) - 1, num=min(5, len(seq))).round()})
        out = Path(args.out) / name
        if kind == "keypoints":
            shown = Sequence(name, seq.frames, keypoints=np.load(out / "keypoints.npy"))
        else:
            shown = Sequence(name, seq.frames, labels={i: out / f"{seq.frames[i].stem}.png" for i in picks})
        rows.append(sequence_strip(shown, picks))
    write_rows_png(rows, args.overlays)


def _zip_submission(args) -> int:
    from .inference.tasks import zip_submission

    if not Path(args.results).is_dir():
        raise FileNotFoundError(f"propagated masks {args.results} do not exist: run `vidcorr propagate ytvos` first")
    zip_submission(args.results, args.out)
    print(f"{args.results} -> {args.out}")
    return 0


def _evaluate(args) -> int:
    from .metrics import evaluate_davis, evaluate_jhmdb, evaluate_vip
    from .metrics.davis import COLUMNS
    from .metrics.vip_instances import ap_by_threshold
    from .metrics.tables import sibling, write_csv

    if args.task == "davis":
        scores = evaluate_davis(args.davis_root, args.split, args.results, year=args.year, workers=args.workers,
                                sequences=args.sequences, exclude=args.exclude)
        rows = [{"Sequence": "global", **scores.global_scores}]
        rows += [{"Sequence": k, **v} for k, v in scores.per_object.items()]
        write_csv(args.out, ["Sequence", *COLUMNS], rows)
        seq_rows = []
        frame_rows = []
        for s in scores.sequences:
            jm, fm = float(s.j.mean()), float(s.f.mean())
            seq_rows.append({"Sequence": s.name, "J&F-Mean": (jm + fm) / 2, "J-Mean": jm, "F-Mean": fm,
                             "objects": s.j.shape[0]})
            for k in range(s.j.shape[0]):
                for t, frame in enumerate(s.frames):
                    frame_rows.append({"Sequence": s.name, "object": k + 1, "frame": frame,
                                       "J": float(s.j[k, t]), "F": float(s.f[k, t])})
        write_csv(sibling(args.out, "_per_sequence"), ["Sequence", "J&F-Mean", "J-Mean", "F-Mean", "objects"], seq_rows)
        write_csv(sibling(args.out, "_per_frame"), ["Sequence", "object", "frame", "J", "F"], frame_rows)
        g = scores.global_scores
        print(f"DAVIS {args.split}: J&F {g['J&F-Mean']:.4f}  J {g['J-Mean']:.4f}  F {g['F-Mean']:.4f} -> {args.out}")
    elif args.task == "vip":
        scores = evaluate_vip(args.root, args.split, args.results)
        cols = ["Sequence", "mIoU", *[f"IoU-{c}" for c in range(scores.confusion.shape[0])]]
        row = {"Sequence": "global", "mIoU": scores.miou}
        row.update({f"IoU-{c}": float(v) for c, v in enumerate(scores.per_class)})
        if scores.instance_ap is not None:  # AP^r_vol, then AP at each IoU threshold
            by_threshold = ap_by_threshold(scores.instance_ap)
            cols[2:2] = ["AP", *[f"AP@{t}" for t in by_threshold]]
            row.update({"AP": scores.ap, **{f"AP@{t}": v for t, v in by_threshold.items()}})
        write_csv(args.out, cols, [row])
        write_csv(sibling(args.out, "_per_sequence"), ["Sequence", "mIoU"],
                  [{"Sequence": k, "mIoU": v} for k, v in scores.per_sequence.items()])
        ap = "" if scores.ap is None else f"  AP {scores.ap:.4f}"
        print(f"VIP {args.split}: mIoU {scores.miou:.4f}{ap} -> {args.out}")
    else:
        scores = evaluate_jhmdb(args.root, int(args.split), args.results, subset=args.subset)
        alphas = (0.1, 0.2)
        cols = ["Sequence", "PCK@0.1", "PCK@0.2", *[f"PCK@0.1-joint{j}" for j in range(scores.distances.shape[1])]]
        row = {"Sequence": "global", "PCK@0.1": scores.pck(0.1), "PCK@0.2": scores.pck(0.2)}
        row.update({f"PCK@0.1-joint{j}": float(v) for j, v in enumerate(scores.pck_per_joint(0.1))})
        write_csv(args.out, cols, [row])
        write_csv(sibling(args.out, "_per_sequence"), ["Sequence", *[f"PCK@{a}" for a in alphas]],
                  [{"Sequence": k, **{f"PCK@{a}": scores.pck(a, d) for a in alphas}}
                   for k, d in scores.per_sequence.items()])
        print(f"JHMDB split {args.split}: PCK@0.1 {scores.pck(0.1):.4f}  PCK@0.2 {scores.pck(0.2):.4f} -> {args.out}")
    return 0


def _dataset_args(p: argparse.ArgumentParser, task: str) -> None:
    if task == "davis":
        p.add_argument("--davis-root", required=True, help="DAVIS-layout folder with ImageSets/<year>/<split>.txt")
        p.add_argument("--split", required=True)
        p.add_argument("--year", default="2017")
        p.add_argument("--sequences", nargs="+", default=None, help="only these sequences of the split")
        p.add_argument("--exclude", nargs="+", default=None, help="drop these sequences of the split")
    else:
        p.add_argument("--root", required=True)
        p.add_argument("--split", default={"ytvos": "valid", "vip": "val", "jhmdb": "1"}[task])
        if task == "jhmdb":
            p.add_argument("--subset", default="test", choices=["train", "test"])


def add_commands(sub) -> None:
    prop = sub.add_parser("propagate", help="propagate first-frame labels through a dataset")
    psub = prop.add_subparsers(dest="task", required=True)
    for task in TASKS:
        p = psub.add_parser(task)
        _dataset_args(p, task)
        p.add_argument("--checkpoint", required=True, help="encoder checkpoint, or the baselines copy-first / lab")
        p.add_argument("--out", required=True)
        p.add_argument("--config", default=None, help="YAML with propagation settings (or a pipeline config)")
        p.add_argument("--device", default="auto", help="auto, cpu or cuda")
        p.add_argument("--overlays", default=None, help="also write a PNG strip of predictions over frames")
        if task == "ytvos":
            p.add_argument("--zip", default=None, help="also write the submission zip here")
        p.set_defaults(func=_propagate)

    z = sub.add_parser("zip-submission", help="zip propagated YouTube-VOS masks for the challenge server")
    z.add_argument("--results", required=True, help="folder of propagated masks (<video>/<frame>.png)")
    z.add_argument("--out", required=True, help="the zip to write (Annotations/<video>/<frame>.png inside)")
    z.set_defaults(func=_zip_submission)

    ev = sub.add_parser("evaluate", help="score propagated labels against ground truth")
    esub = ev.add_subparsers(dest="task", required=True)
    for task in ("davis", "vip", "jhmdb"):
        p = esub.add_parser(task)
        _dataset_args(p, task)
        p.add_argument("--results", required=True, help="folder of propagated labels (<seq>/...)")
        p.add_argument("--out", required=True, help="CSV: a 'global' row, then per object / sequence")
        if task == "davis":
            p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        p.set_defaults(func=_evaluate)
