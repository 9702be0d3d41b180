"""`vidcorr frames` (decode a video) and `vidcorr synth` (the generated benchmark)."""

from __future__ import annotations

import sys


def _frames(args) -> int:
    from ..frames import extract_video
    from ..settings_schema import FRAMES, check

    check({"fps": args.fps, "short_side": args.short_side, "jpeg_quality": args.jpeg_quality,
           "skip_bad_videos": args.skip_bad}, FRAMES, "frames")  # the numbers obey the config's rules
    m = extract_video(args.video, args.out, fps=args.fps, short_side=args.short_side,
                      jpeg_quality=args.jpeg_quality, skip_bad=args.skip_bad)
    if m["status"] == "skipped":
        print(f"skipped {args.video}: {m['reason']}", file=sys.stderr)
    else:
        print(f"{args.video}: {m['num_frames']} frames -> {args.out}")
    return 0


def _synth(args) -> int:
    from ..settings_schema import SYNTHETIC, check
    from ..synthetic import generate_benchmark

    given = {k: v for k, v in vars(args).items() if k in SYNTH_FLAGS and v is not None}  # the rest: its defaults
    check({k: v for k, v in given.items() if k != "jpeg_quality"}, SYNTHETIC, "synth", partial=True)
    names = generate_benchmark(args.out, **given)
    print(f"wrote {len(names)} sequences to {args.out}")
    return 0


SYNTH_FLAGS = {"seed": "--seed", "num_sequences": "--sequences", "num_frames": "--frames", "width": "--width",
               "height": "--height", "num_objects": "--objects", "jpeg_quality": "--jpeg-quality"}


def add_commands(sub) -> None:
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
    for name, flag in SYNTH_FLAGS.items():
        s.add_argument(flag, dest=name, type=int, default=None, help="default: generate_benchmark's")
    s.set_defaults(func=_synth)
