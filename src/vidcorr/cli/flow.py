"""`vidcorr flow compute|index|epe|picture`: the optical-flow stage by hand or from the workflow rules."""

from __future__ import annotations

from ..sections import read_section


def _frames(index: str, video: str):
    from ..datasets.index import open_index

    reader = open_index(index)
    if video not in reader.names():
        raise KeyError(f"video {video!r} is not in dataset index {index}")
    return reader.sequence(video).frames


def _compute(args) -> int:
    from ..flow import FlowConfig, compute_video_flow, make_backend

    section = read_section(args.config, "flow", "flow settings")
    # a pipeline config's flow section holds the method under compute
    cfg = FlowConfig.from_dict(section.get("compute", section))
    backend = make_backend(cfg, args.device)  # a missing checkpoint fails here, before any frame is read
    out = compute_video_flow(args.video, _frames(args.index, args.video), cfg, args.out, backend=backend)
    print(f"{args.video}: flow ({cfg.backend}:{cfg.model}, gaps {list(cfg.gaps)}) -> {out}")
    return 0


def _merge(args) -> int:
    from ..flow import write_flow_index

    index = write_flow_index(args.dataset, args.files, args.out)
    print(f"{args.dataset}: {index['num_videos']} flow files ({index['bytes'] / 2**20:.1f} MiB) -> {args.out}")
    return 0


def _epe(args) -> int:
    from ..flow import FlowConfig
    from ..flow.validate import write_flow_epe

    configs = [FlowConfig.from_dict(m) for m in read_section(args.config, "flow_validation", "flow settings", list)]
    for r in write_flow_epe(args.root, configs, args.out):
        if r["sequence"] == "all":
            print(f"{r['backend']}:{r['model']} gap {r['gap']}: EPE {r['epe']:.3f} px "
                  f"({r['epe_before_storage']:.3f} before storage) over {r['pairs']} pairs")
    return 0


def _picture(args) -> int:
    from ..datasets.index import open_index
    from ..viz.flow_colour import flow_picture

    flow_picture(args.flow_index, open_index(args.data_index), args.out, args.videos, args.frames)
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
