"""`vidcorr` console command: one subcommand per pipeline step, so every rule can be run by hand.

One module per rule family; each handler parses its arguments and calls the package.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import ablation, convert, data, evaluate, flow, frames, plan, propagate, track, train

FAMILIES = (frames, data, flow, train, propagate, evaluate, ablation, plan, track, convert)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vidcorr", description=__doc__)
    p.add_argument("--debug", action="store_true",
                   help="on an error, print the traceback too (also: environment variable VIDCORR_DEBUG=1)")
    sub = p.add_subparsers(dest="command", required=True)
    for family in FAMILIES:
        family.add_commands(sub)
    return p


def describe(e: BaseException, out: str | None = None) -> str:
    """One line that says what failed: an OS error with the path it names, our own errors as they
    are (they name their file or setting), anything else with its type. An OS error that names no
    path (a write that fills the disk) gets the command's output `out`."""
    if isinstance(e, OSError) and e.filename is not None:
        paths = f"{e.filename}" + (f" -> {e.filename2}" if e.filename2 is not None else "")
        text = f"{paths}: {e.strerror or type(e).__name__}"
    elif isinstance(e, OSError) and e.strerror:
        text = e.strerror
    elif isinstance(e, (ValueError, KeyError, RuntimeError, FloatingPointError, OSError)):
        text = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    else:
        text = f"{type(e).__name__}: {e}"
    text = " ".join(text.split()) or type(e).__name__
    if isinstance(e, OSError) and e.filename is None and out is not None and str(out) not in text:
        text = f"{text} (output: {out})"
    return text


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Any error ends in one line on stderr and exit status 1; the traceback
    only with --debug or VIDCORR_DEBUG=1."""
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get("VIDCORR_DEBUG", "") not in ("", "0")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"vidcorr {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if debug:
            raise
        print(f"vidcorr {args.command}: error: {describe(e, getattr(args, 'out', None))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
