"""`vidcorr flow compute|index|epe|picture`: the optical-flow stage by hand or from the workflow rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from .atomic import write_json


def _section(path: str, key: str):
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"flow settings {p} do not exist")
    data = yaml.safe_load(p.read_text()) or {}
    return data.get(key, data)


def _sequence_frames(index_path: str, video: str):
    from .datasets import open_dataset

    p = Path(index_path)
    if not p.is_file():
        raise FileNotFoundError(f"dataset index {p} does not exist; run `vidcorr index` for the dataset first")
    index = json.loads(p.read_text())
    reader = open_dataset(index["type"], index["root"], **index.get("options", {}))
    if video not in reader.names():
        raise KeyError(f"video {video!r} is not in dataset index {p}")
    return reader.sequence(video).frames, reader


def _compute(args) -> int:
    from .flow import FlowConfig, compute_video_flow, make_backend

    section = _section(args.config, "flow") if args.config else {}
    # a pipeline config's flow section holds the method under compute (as propagate reads a pipeline config)
    cfg = FlowConfig.from_dict(section.get("compute", section) if isinstance(section, dict) else section)
    backend = make_backend(cfg, args.device)  # a missing checkpoint fails here, before any frame is read
    frames, _ = _sequence_frames(args.index, args.video)
    out = compute_video_flow(args.video, frames, cfg, args.out, backend=backend)
    print(f"{args.video}: flow ({cfg.backend}:{cfg.model}, gaps {list(cfg.gaps)}) -> {out}")
    return 0


def _merge(args) -> int:
    from .flow import FlowFile
    from .provenance import record

    out = Path(args.out).resolve()
    files, total, settings = {}, 0, None
    for f in args.files:
        ff = FlowFile(f)
        attrs = ff.attrs
        files[attrs["video"]] = str(Path(f).resolve().relative_to(out.parent))
        total += Path(f).stat().st_size
        settings = settings or attrs.get("settings")
        ff.close()
    write_json(out, {"dataset": args.dataset, "files": files, "num_videos": len(files), "bytes": total,
                     "settings": settings, "provenance": record(config=settings, inputs=sorted(files.values()))})
    print(f"{args.dataset}: {len(files)} flow files ({total / 2**20:.1f} MiB) -> {out}")
    return 0


def _epe(args) -> int:
    from .flow import FlowConfig
    from .flow.validate import COLUMNS, flow_epe
    from .metrics.tables import write_csv

    methods = _section(args.config, "flow_validation")
    configs = [FlowConfig.from_dict(m) for m in methods]
    rows = flow_epe(args.root, configs)
    write_csv(args.out, COLUMNS, rows)
    for r in rows:
        if r["sequence"] == "all":
            print(f"{r['backend']}:{r['model']} gap {r['gap']}: EPE {r['epe']:.3f} px "
                  f"({r['epe_before_storage']:.3f} before storage) over {r['pairs']} pairs")
    return 0


def _picture(args) -> int:
    from PIL import Image

    from .flow import FlowReader
    from .viz import write_rows_png
    from .viz.flow_colour import frames_and_flow

    flows = FlowReader(args.flow_index)
    rows = []
    for video in flows.videos()[: args.videos]:
        frames, _ = _sequence_frames(args.data_index, video)
        ff = flows.file(video)
        h, w = ff.size
        n = ff.file["gap_1"].shape[0] if "gap_1" in ff.file else 0
        if n == 0:
            continue
        picks = np.linspace(0, n - 1, num=min(args.frames, n)).round().astype(int)
        imgs = [np.asarray(Image.open(frames[t]).convert("RGB").resize((w, h))) for t in picks]
        rows.append(frames_and_flow(imgs, [ff.field(int(t), 1) for t in picks]))
    write_rows_png(rows, args.out)
    print(f"wrote {args.out}")
    return 0


def add_commands(sub) -> None:
    fl = sub.add_parser("flow", help="optical flow: compute to HDF5, merge the index, validate, draw")
    fsub = fl.add_subparsers(dest="flow_command", required=True)

    c = fsub.add_parser("compute", help="forward flow of one video for every configured gap -> one HDF5 file")
    c.add_argument("--index", required=True, help="dataset index JSON (results/index/<dataset>.json)")
    c.add_argument("--video", required=True, help="sequence name in that index")
    c.add_argument("--config", default=None, help="YAML with a `flow:` section (vidcorr.flow.FlowConfig)")
    c.add_argument("--out", required=True, help="HDF5 file to write (appears only when complete)")
    c.add_argument("--device", default="auto", help="ptlflow: auto, cpu or cuda")
    c.set_defaults(func=_compute)

    m = fsub.add_parser("index", help="merge a dataset's flow files into one index JSON")
    m.add_argument("files", nargs="+")
    m.add_argument("--dataset", required=True)
    m.add_argument("--out", required=True)
    m.set_defaults(func=_merge)

    e = fsub.add_parser("epe", help="end-point error of flow backends against a generated benchmark's exact flow")
    e.add_argument("--root", required=True, help="generated benchmark (vidcorr synth) with Scenes/")
    e.add_argument("--config", required=True, help="YAML with a `flow_validation:` list of flow settings")
    e.add_argument("--out", required=True, help="CSV (results/flow/<dataset>/epe.csv)")
    e.set_defaults(func=_epe)

    p = fsub.add_parser("picture", help="frames and their flow in the Middlebury colour wheel, as one PNG")
    p.add_argument("--flow-index", required=True)
    p.add_argument("--data-index", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--videos", type=int, default=3)
    p.add_argument("--frames", type=int, default=4)
    p.set_defaults(func=_picture)
