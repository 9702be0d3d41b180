"""`vidcorr propagate` (first-frame labels through a dataset) and `vidcorr zip-submission`."""

from __future__ import annotations

from pathlib import Path

from ..sections import read_section


def _propagate(args) -> int:
    import torch

    from ..atomic import atomic_dir
    from ..datasets.index import open_index
    from ..device import resolve_device
    from ..inference import PropagationConfig, Propagator, make_features
    from ..inference.tasks import propagate_dataset, write_propagation_provenance, zip_submission
    from ..viz import prediction_overlays

    torch.manual_seed(0)
    cfg = PropagationConfig.from_dict(read_section(args.config, "propagation", "propagation config"))
    device = resolve_device(args.device)
    reader = open_index(args.index)
    propagator = Propagator(make_features(args.checkpoint, device), cfg, device)
    with atomic_dir(args.out) as tmp:  # one unit: a second run into the same folder replaces it whole, never mixes in
        names = propagate_dataset(reader, propagator, tmp)
        write_propagation_provenance(tmp, reader, args.index, args.checkpoint, propagator, names)
    if args.zip:
        zip_submission(args.out, args.zip)
    if args.overlays:
        prediction_overlays(reader, args.out, args.overlays)
    print(f"propagated {len(names)} sequences -> {args.out}")
    return 0


def _zip_submission(args) -> int:
    from ..inference.tasks import zip_submission

    if not Path(args.results).is_dir():
        raise FileNotFoundError(f"propagated masks {args.results} do not exist: run `vidcorr propagate` first")
    zip_submission(args.results, args.out)
    print(f"{args.results} -> {args.out}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("propagate", help="propagate first-frame labels through a dataset")
    p.add_argument("--index", required=True, help="dataset index JSON (results/index/<dataset>.json)")
    p.add_argument("--checkpoint", required=True, help="encoder checkpoint, or the baselines copy-first / lab")
    p.add_argument("--out", required=True)
    p.add_argument("--config", default=None, help="YAML with propagation settings (or a pipeline config)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")
    p.add_argument("--overlays", default=None, help="also write a PNG strip of predictions over frames")
    p.add_argument("--zip", default=None, help="(masks) also write the challenge-server zip here")
    p.set_defaults(func=_propagate)

    z = sub.add_parser("zip-submission", help="zip propagated YouTube-VOS masks for the challenge server")
    z.add_argument("--results", required=True, help="folder of propagated masks (<video>/<frame>.png)")
    z.add_argument("--out", required=True, help="the zip to write (Annotations/<video>/<frame>.png inside)")
    z.set_defaults(func=_zip_submission)
