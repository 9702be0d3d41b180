"""`vidcorr convert-checkpoint`: a released checkpoint of another method as a vidcorr checkpoint (vidcorr.convert)."""

from __future__ import annotations


def _convert(args) -> int:
    from ..convert import convert_checkpoint

    source = convert_checkpoint(args.format, args.input, args.output)
    print(f"{args.output}: {args.format} checkpoint {args.input} (sha256 {source['sha256'][:12]}), "
          f"own protocol: propagation preset {source['protocol']!r}")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("convert-checkpoint", help="convert a released checkpoint (MAST, LIIR port, CRW, VFS, DINO)",
                       description="Write a released checkpoint of another method as a vidcorr checkpoint: its "
                                   "encoder, input preprocessing, feature stride and own test protocol (a preset).")
    p.add_argument("--from", dest="format", required=True, metavar="FORMAT",
                   help="the file's format: mast, liir-port, crw, vfs or dino")
    p.add_argument("input", help="the released file")
    p.add_argument("output", help="the vidcorr checkpoint to write")
    p.set_defaults(func=_convert)
