"""`vidcorr track`: one video (file or folder of frames) and one mask of one of its frames, to a
mask for every frame, an overlay video and provenance, in one command."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..sections import read_section

ESTIMATE_AFTER = 3  # frames timed before the CPU estimate is printed


def _check_out(out: Path) -> None:
    """The output folder is replaced as a whole: refuse one that holds anything but an earlier track."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not _earlier_track(out / "provenance.json"))):
        raise ValueError(f"--out {out} exists and holds other files; give a new or empty folder (it is replaced as a whole)")


def _earlier_track(path: Path) -> bool:
    try:
        return json.loads(path.read_text()).get("command") == "track"
    except (OSError, ValueError):
        return False


def _track(args) -> int:
    import torch
    from tqdm import tqdm

    from ..atomic import atomic_dir, write_json
    from ..datasets.masks import read_user_mask, write_label
    from ..device import resolve_device
    from ..frames.sources import read_frames
    from ..inference import PropagationConfig, Propagator, make_features
    from ..inference.track import track_ids
    from ..provenance import record, sha256_file
    from ..viz.overlay import write_overlay_video

    import av

    out = Path(args.out)
    _check_out(out)
    if args.fps is not None and not args.fps > 0:
        raise ValueError(f"--fps {args.fps} must be positive")
    if "libx264" not in av.codecs_available:
        raise RuntimeError("this PyAV has no libx264 encoder for overlay.mp4: install the av wheel from PyPI")
    cfg = PropagationConfig.from_dict(read_section(args.config, "propagation", "propagation settings"))
    if args.checkpoint != "lab" and not Path(args.checkpoint).is_file():
        raise FileNotFoundError(f"checkpoint {args.checkpoint} does not exist: give a vidcorr checkpoint, or `lab`")
    device = resolve_device(args.device)
    features = make_features(args.checkpoint, device)
    ids, palette = read_user_mask(args.mask)  # before the video: a bad mask fails at once
    if not ids.any():
        raise ValueError(f"{args.mask} holds no object (every pixel is background): nothing to track")
    frames = read_frames(args.input, args.fps)
    if ids.shape != frames.size:
        raise ValueError(f"{args.mask} is {ids.shape[1]}x{ids.shape[0]} but the frames of {args.input} are "
                         f"{frames.size[1]}x{frames.size[0]}: give the mask at the video's size (as displayed)")
    if not 0 <= args.frame < len(frames):
        raise ValueError(f"--frame {args.frame}: the video has frames 0 .. {len(frames) - 1}")
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    propagator = Propagator(features, cfg, device)
    masks: list = [None] * len(frames)
    start = time.perf_counter()
    with atomic_dir(out) as tmp:
        bar = tqdm(track_ids(propagator, len(frames), frames.images.__getitem__, ids, args.frame),
                   total=len(frames), desc="track", unit="frame")
        for n, (t, labels) in enumerate(bar, 1):
            masks[t] = labels
            write_label(tmp / "masks" / f"{frames.names[t]}.png", labels, palette)
            if n == ESTIMATE_AFTER + 1 and device.type == "cpu":
                per = (time.perf_counter() - start) / ESTIMATE_AFTER
                bar.write(f"on the CPU: about {per * len(frames) / 60:.1f} min for {len(frames)} frames "
                          f"({per:.1f} s a frame); a GPU takes a fraction of that")
        write_overlay_video(tmp / "overlay.mp4", frames.images, masks, frames.fps, palette)
        write_json(tmp / "provenance.json", record(
            config=cfg.to_dict(), inputs=[str(frames.source), str(args.mask)], command="track",
            input=str(frames.source), input_sha256=sha256_file(frames.source) if frames.source.is_file() else None,
            mask=str(args.mask), mask_sha256=sha256_file(args.mask), frame=args.frame, frames=len(frames),
            fps=frames.fps, size=list(frames.size), objects=sorted(int(i) for i in set(ids.flat) - {0}),
            checkpoint=args.checkpoint,
            checkpoint_sha256=sha256_file(args.checkpoint) if Path(args.checkpoint).is_file() else None,
            propagation=cfg.to_dict(), ran=propagator.ran(), seconds=round(time.perf_counter() - start, 1)))
    print(f"tracked {len(set(ids.flat) - {0})} object(s) through {len(frames)} frames from frame "
          f"{args.frame} -> {out}/masks, {out}/overlay.mp4")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("track", help="track the objects of one mask through your own video (file or folder of frames)")
    p.add_argument("input", help="a video file, or a folder of frames (read in natural order: 2.jpg before 10.jpg)")
    p.add_argument("--mask", required=True, help="the objects of frame --frame: an indexed PNG, a 0/255 grey mask, "
                                                 "or an RGB image whose colours are the objects (black: background)")
    p.add_argument("--frame", type=int, default=0, help="the frame the mask belongs to (tracked both ways from it)")
    p.add_argument("--checkpoint", default="lab", help="a vidcorr (or converted) checkpoint, or lab (raw colour)")
    p.add_argument("--config", default=None, help="YAML with propagation settings (today's defaults otherwise)")
    p.add_argument("--out", required=True, help="output folder: masks/<frame>.png, overlay.mp4, provenance.json")
    p.add_argument("--fps", type=float, default=None, help="a folder's frame rate, for its overlay (default 24); "
                                                            "a video file keeps its own")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")
    p.set_defaults(func=_track)
