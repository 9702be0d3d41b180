"""The ablation design (ablation_design.yaml beside this file) applied to a config's `ablation`:
which tables it runs, where each is scored, and each variant it trains, the design's overrides with
the config's changes for its scale laid on top. Every config and the tests read the one design."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from .runs import deep_merge

DESIGN_PATH = Path(__file__).with_name("ablation_design.yaml")


@functools.cache
def design() -> dict:
    return yaml.safe_load(DESIGN_PATH.read_text())


def tables_of(ablation: dict) -> dict[str, dict]:
    """Table id -> caption and datasets: the design's caption unless the config gives one; the
    table's own datasets, else ablation.datasets."""
    out = {}
    for table, spec in ablation["tables"].items():
        spec = spec or {}
        caption = spec.get("caption", design()["tables"].get(table))
        if caption is None:
            raise ValueError(f"config key ablation.tables.{table}: not a table of the design "
                             f"({DESIGN_PATH.name}); give it a caption, or pick one of {sorted(design()['tables'])}")
        out[table] = {"caption": caption, "datasets": spec.get("datasets", ablation["datasets"])}
    return out


def variants_of(ablation: dict) -> dict[str, dict]:
    """Variant name -> its overrides of ablation.base, with only the rows of the tables the config
    runs: every variant of the design or the config that fills one of them (or those named in
    ablation.only). A variant that fills none is not trained."""
    own, tables = ablation.get("variants") or {}, ablation["tables"]
    known = {**design()["variants"], **{v: {} for v in own if v not in design()["variants"]}}
    only = ablation.get("only")
    for name in only or []:
        if name not in known:
            raise ValueError(f"config key ablation.only lists {name!r}, a variant of neither the design "
                             f"({DESIGN_PATH.name}) nor ablation.variants")
    out = {}
    for name in only or known:
        spec = deep_merge(known[name], own.get(name) or {})
        spec["tables"] = {t: row for t, row in spec.get("tables", {}).items() if t in tables}
        if spec["tables"]:
            out[name] = spec
        elif only or name not in design()["variants"]:
            raise ValueError(f"config key ablation.{'only' if only else 'variants'}: variant {name!r} fills no "
                             f"row of the tables the config runs ({sorted(tables)}); give it `tables:` or drop it")
    return out
