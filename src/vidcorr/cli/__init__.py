"""`vidcorr` console command: one subcommand per pipeline step, so every rule can be run by hand.

One module per rule family; each handler parses its arguments and calls the package.
"""

from __future__ import annotations

import argparse
import sys

from . import ablation, convert, data, evaluate, flow, frames, plan, propagate, track, train

FAMILIES = (frames, data, flow, train, propagate, evaluate, ablation, plan, track, convert)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vidcorr", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for family in FAMILIES:
        family.add_commands(sub)
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
