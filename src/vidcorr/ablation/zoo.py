"""The zoo table: each released checkpoint's score under its own protocol and under ours, beside
the number its method prints (results/zoo/zoo.md and .csv)."""

from __future__ import annotations

import os

from ..atomic import write_text
from ..inference.presets import PRESETS
from ..metrics import SCORERS
from ..metrics.summary import collect
from ..metrics.tables import write_csv

PRINTED = {name: s.printed for name, s in SCORERS.items()}  # scorer -> the number a method prints
COLUMNS = ["model", "format", "file", "dataset", "metric", "printed", "own", "ours", "own_minus_printed", "status"]

READING = """How to read a gap between "own" and "printed":
- "own" runs the method's test protocol as far as this engine can (the preset, listed below with
  where it differs from the method's code) on this project's frames and official-exact metrics;
  what is left of the gap is the protocol's remainder, the frames (JPEG decoding, resizing), or the
  file (a release that is not the model the paper scored).
- "ours" runs every model under one protocol (the config's `propagation:`), so that column ranks
  the features, not the protocols.
- A number printed on another dataset version or split (e.g. DAVIS-2017 test-dev) is not comparable."""


def zoo_rows(manifest: dict, metrics: list[tuple[str, str, str]]) -> list[dict]:
    """One row per model and dataset; values in % as the papers print them."""
    values = {(r["method"], r["dataset"], r["metric"]): 100 * r["value"]
              for r in collect(metrics, list(PRINTED.values()))}
    rows = []
    for m in manifest["models"]:
        for dataset, scorer in manifest["datasets"].items():
            metric = PRINTED.get(scorer)
            printed = m["printed"].get(dataset)
            row = {"model": m["name"], "format": m["format"], "file": os.path.basename(m["file"]), "dataset": dataset,
                   "metric": metric, "printed": printed}
            if not m["present"]:
                row["status"] = f"not found in roots.zoo; published at {m['published']}"
            else:
                own = values.get((m["methods"]["own"], dataset, metric))
                row.update(own=own, ours=values.get((m["methods"]["ours"], dataset, metric)),
                           own_minus_printed=None if own is None or printed is None else own - printed,
                           status=f"scored (preset {m['preset']}" + (f" + {m['own']}" if m["own"] else "") + ")")
            rows.append(row)
    return rows


def _cell(v) -> str:
    return "" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)


def write_zoo_table(manifest: dict, metrics: list[tuple[str, str, str]], out_md: str, out_csv: str) -> list[dict]:
    rows = zoo_rows(manifest, metrics)
    write_csv(out_csv, COLUMNS, rows)
    lines = ["# Released checkpoints in this harness", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in COLUMNS) + " |" for r in rows]
    sources = sorted({(m["name"], m["printed_source"]) for m in manifest["models"] if m["printed_source"]})
    if sources:
        lines += ["", "Printed numbers:"] + [f"- {name}: {src}" for name, src in sources]
    lines += ["", READING, "", "Where each preset differs from its method's test code:"]
    for preset in sorted({m["preset"] for m in manifest["models"]}):
        lines += [f"- {preset}:"] + [f"  - {d}" for d in PRESETS[preset]["differs"]]
    write_text(out_md, "\n".join(lines) + "\n")
    return rows
