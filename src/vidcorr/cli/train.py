"""`vidcorr train`: one training stage (warm-up, inter-video or MER)."""

from __future__ import annotations

from pathlib import Path

from ..sections import read_section


def _train(args) -> int:
    from ..train.config import TrainConfig
    from ..train.loop import train

    settings = read_section(args.config, "train", "training config")
    cfg = TrainConfig.from_dict({**settings, **({"stage": args.stage} if args.stage else {})})
    if args.init and not Path(args.init).is_file():
        raise FileNotFoundError(f"initial checkpoint {args.init} does not exist; train the previous stage first")
    final = train(cfg, args.data, args.out, init=args.init, device=args.device, flow=args.flow,
                  precision=args.precision)
    print(f"{cfg.stage} stage done -> {final}")
    return 0


def _weight_maps(args) -> int:
    from ..viz.weight_maps import weight_map_figure

    if not Path(args.checkpoint).is_file():
        raise FileNotFoundError(f"checkpoint {args.checkpoint} does not exist; train its MER stage first")
    columns = weight_map_figure(args.checkpoint, args.data, args.out, flow=args.flow, pairs=args.pairs)
    print(f"weight maps of {args.pairs} training pairs ({', '.join(columns)}) -> {args.out}")
    return 0


def add_commands(sub) -> None:
    from ..device import PRECISIONS
    from ..train.config import STAGES

    tr = sub.add_parser("train", help="train one stage (warm-up, inter-video or MER); resumes from <out>/last.pt")
    tr.add_argument("--config", default=None, help="YAML with the stage's settings (a `train:` section or flat)")
    tr.add_argument("--stage", choices=STAGES, default=None, help="overrides the config's stage")
    tr.add_argument("--data", nargs="+", required=True, help="dataset index JSONs (results/index/<dataset>.json)")
    tr.add_argument("--out", required=True, help="run folder: epoch_NNN.pt, last.pt, final.pt, log.csv, curve.png, tb/")
    tr.add_argument("--init", default=None, help="start from this checkpoint (the previous stage's final.pt)")
    tr.add_argument("--flow", nargs="+", default=None, help="(mer with flow fusion or ven_target motion) results/flow/<dataset>/index.json")
    tr.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")
    tr.add_argument("--precision", default="auto", choices=PRECISIONS,
                    help="autocast dtype; auto: bfloat16 on GPUs of capability 8.0+, float16 (loss-scaled) on older "
                         "ones, float32 on the CPU")
    tr.set_defaults(func=_train)
    wm = sub.add_parser("weight-maps", help="draw a MER stage's weight map W beside frames, flow and Eq. 6's V")
    wm.add_argument("--checkpoint", required=True, help="the MER stage's final.pt")
    wm.add_argument("--data", nargs="+", required=True, help="the stage's dataset index JSONs")
    wm.add_argument("--flow", nargs="+", default=None, help="the stage's flow index JSONs (when it reads flow)")
    wm.add_argument("--pairs", type=int, default=4, help="training pairs drawn (epoch 0's first)")
    wm.add_argument("--out", required=True, help="PNG to write")
    wm.set_defaults(func=_weight_maps)
