"""`vidcorr index`, `vidcorr preview` and `vidcorr settings`: dataset handles and the settings
files the workflow hands its jobs."""

from __future__ import annotations

import json


def _index(args) -> int:
    """List every sequence of a dataset with its frame and label counts, validating the layout."""
    from ..datasets.index import write_index

    index = write_index(args.type, args.root, json.loads(args.options) if args.options else {}, args.out, args.skipped)
    print(f"{args.type} {args.root}: {len(index['sequences'])} sequences -> {args.out}")
    return 0


def _preview(args) -> int:
    """A PNG with a few frames of the first sequences and their labels drawn on them."""
    from ..datasets.index import open_index
    from ..viz import dataset_preview

    dataset_preview(open_index(args.index), args.out, args.sequences, args.frames)
    print(f"wrote {args.out}")
    return 0


def _settings(args) -> int:
    """Write one config section (given as JSON) as a YAML file that the jobs' --config reads."""
    from ..sections import write_section

    write_section(args.out, args.section, json.loads(args.json))
    print(f"wrote {args.out}")
    return 0


def add_commands(sub) -> None:
    from ..datasets.types import READER

    i = sub.add_parser("index", help="validate a dataset and write its index (JSON), the handle every stage reads")
    i.add_argument("--type", required=True, choices=sorted(READER))
    i.add_argument("--root", required=True)
    i.add_argument("--options", default=None, help='reader options as JSON, e.g. \'{"split": "val", "year": 2017}\'')
    i.add_argument("--out", required=True)
    i.add_argument("--skipped", default=None, help="write the skipped videos and reasons here as TSV")
    i.set_defaults(func=_index)

    v = sub.add_parser("preview", help="draw a few frames of a dataset with their labels into one PNG")
    v.add_argument("--index", required=True, help="dataset index JSON (results/index/<dataset>.json)")
    v.add_argument("--out", required=True)
    v.add_argument("--sequences", type=int, default=2)
    v.add_argument("--frames", type=int, default=5)
    v.set_defaults(func=_preview)

    st = sub.add_parser("settings", help="write a config section (JSON) as YAML for --config options")
    st.add_argument("--section", required=True)
    st.add_argument("--json", required=True)
    st.add_argument("--out", required=True)
    st.set_defaults(func=_settings)
