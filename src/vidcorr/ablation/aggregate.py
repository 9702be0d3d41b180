"""results/ablation.csv: every (table, row, dataset, metric) with our mean +- std over seeds, the
paper's value where printed, their difference, and provenance.

Rows that a variant fills are `reproduced`; the other methods a main-results table compares with
(`peer`) and printed rows whose settings are lost (`transcribed`) come from the paper-values file
alone, so each table reads as the paper prints it with our numbers among the printed ones.
YouTube-VOS is scored by its challenge server: its rows carry the submission zips, and the
server's numbers join them from a small CSV the user fills in (`read_server_scores`).
"""

from __future__ import annotations

import csv
import os
import statistics
from dataclasses import dataclass

from ..metrics.summary import METRICS, collect

COLUMNS = ["table", "row", "role", "variant", "dataset", "metric", "value", "std", "seeds", "paper_dataset",
           "paper_value", "diff", "paper_source", "paper_note", "submission", "config_hash", "code_version",
           "checkpoints"]
ROLES = ("reproduced", "peer", "transcribed")
SERVER_COLUMNS = ("method", "dataset", "metric", "value")


@dataclass(frozen=True)
class PaperValue:
    value: float | None  # a fraction (the file holds percent, as printed); None where nothing is printed
    source: str
    note: str
    role: str


def read_paper_values(path: str | os.PathLike) -> dict[tuple[str, str, str, str], PaperValue]:
    """(table, row, paper dataset, metric) -> PaperValue, in the file's (the papers') order."""
    out = {}
    with open(path, newline="") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            role = r.get("role") or "reproduced"
            if role not in ROLES:
                raise ValueError(f"{path}, line {line}: role {role!r} is not one of {ROLES}")
            try:
                value = float(r["value"]) / 100 if r["value"].strip() else None
            except ValueError:
                raise ValueError(f"{path}, line {line}: value {r['value']!r} is not a number (percent, as printed)") from None
            out[(r["table"], r["row"], r["dataset"], r["metric"])] = PaperValue(value, r["source"], r.get("note") or "", role)
    return out


def read_server_scores(path: str | os.PathLike) -> dict[tuple[str, str, str], float]:
    """(method, dataset, metric) -> fraction, from the CSV where the YouTube-VOS server's numbers
    are pasted: columns method, dataset, metric, value (percent, as the papers print them)."""
    out = {}
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in SERVER_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"server scores {path}: columns {missing} are missing; the header must be "
                             f"{','.join(SERVER_COLUMNS)}")
        for line, r in enumerate(reader, start=2):
            try:
                value = float(r["value"])
            except ValueError:
                raise ValueError(f"server scores {path}, line {line}: value {r['value']!r} is not a number") from None
            if not 1 < value <= 100:
                raise ValueError(f"server scores {path}, line {line}: value {value} is not a percentage in (1, 100]; "
                                 "paste the server's numbers in percent (69.3, not 0.693)")
            out[(r["method"], r["dataset"], r["metric"])] = value / 100
    return out


def _first_seen(items) -> dict:
    order = {}
    for item in items:
        order.setdefault(item, len(order))
    return order


def aggregate(manifest: dict, metric_tables: list[tuple[str, str, str]], paper: dict,
              submissions: list[tuple[str, str, str]] = (), server: dict | None = None) -> list[dict]:
    """One row per table row x dataset x metric, each table's rows and metrics in the paper's order.
    metric_tables and submissions are (method, dataset, file) triples."""
    found = {(r["method"], r["dataset"], r["metric"]): r["value"] for r in collect(metric_tables, METRICS)}
    found.update(server or {})
    zips = {(method, dataset): str(p) for method, dataset, p in submissions}
    paper_datasets = manifest.get("paper_datasets") or {}
    rows = []
    for table, spec in manifest["tables"].items():
        printed = [k for k in paper if k[0] == table]
        row_order = _first_seen(k[1] for k in printed)
        metric_order = _first_seen([*(k[3] for k in printed), *METRICS])
        labels = _first_seen([*spec["rows"], *(k[1] for k in printed)])
        for label in sorted(labels, key=lambda lb: (row_order.get(lb, len(row_order)), labels[lb])):
            runs = [r for r in manifest["runs"] if r["tables"].get(table) == label]
            for dataset in spec["datasets"]:
                paper_dataset = paper_datasets.get(dataset) or ""
                metrics = {k[3] for k in printed if k[1] == label and k[2] == paper_dataset and paper_dataset}
                if runs:
                    metrics |= {m for (name, d, m) in found if d == dataset and name == runs[0]["name"]}
                for metric in sorted(metrics, key=lambda m: metric_order.get(m, len(metric_order))):
                    pv = paper.get((table, label, paper_dataset, metric), PaperValue(None, "", "", "reproduced"))
                    rows.append(_row(table, label, dataset, metric, runs, found, zips, pv, paper_dataset, manifest))
    return rows


def _row(table, label, dataset, metric, runs, found, zips, pv, paper_dataset, manifest) -> dict:
    values = [found[(r["name"], dataset, metric)] for r in runs if (r["name"], dataset, metric) in found]
    if values and len(values) != len(runs):
        raise ValueError(f"{table}/{label}: {metric} on {dataset} is missing for some seeds")
    mean = statistics.fmean(values) if values else ""
    return {
        "table": table, "row": label, "role": "reproduced" if runs else pv.role,
        "variant": runs[0]["variant"] if runs else "", "dataset": dataset, "metric": metric, "value": mean,
        "std": statistics.stdev(values) if len(values) > 1 else "",  # undefined for one seed
        "seeds": " ".join(str(r["seed"]) for r in runs), "paper_dataset": paper_dataset,
        "paper_value": "" if pv.value is None else pv.value,
        "diff": "" if pv.value is None or mean == "" else mean - pv.value,
        "paper_source": pv.source, "paper_note": pv.note,
        "submission": " ".join(zips[(r["name"], dataset)] for r in runs if (r["name"], dataset) in zips),
        "config_hash": runs[0]["config_hash"] if runs else "", "code_version": manifest["code_version"],
        "checkpoints": " ".join(r["checkpoint"] for r in runs),
    }


def check_paper_file(paper: dict, manifest: dict) -> list[tuple[str, str]]:
    """(table, row) pairs of the manifest's tables that the paper-values file does not list."""
    listed = {(t, r) for t, r, _, _ in paper}
    return [(t, r) for t, spec in manifest["tables"].items() for r in spec["rows"] if (t, r) not in listed]


def write_ablation(manifest: dict, metric_tables: list[tuple[str, str, str]], paper_path: str | os.PathLike,
                   out: str | os.PathLike, tables_dir: str | os.PathLike, plots_dir: str | os.PathLike,
                   submissions: list[tuple[str, str, str]] = (), server_path: str | os.PathLike | None = None) -> list[dict]:
    """results/ablation.csv (COLUMNS), one Markdown + LaTeX table and one bar chart per table."""
    from ..metrics.tables import write_csv
    from ..provenance import code_version
    from .tables import write_tables

    manifest = {**manifest, "code_version": code_version()}
    paper = read_paper_values(paper_path)
    missing = check_paper_file(paper, manifest)
    if missing:
        raise ValueError(f"{paper_path} lists no paper value for {missing[:5]}: add rows (empty value if unknown)")
    server = read_server_scores(server_path) if server_path else None
    rows = aggregate(manifest, metric_tables, paper, submissions, server)
    write_csv(out, COLUMNS, rows)
    write_tables(manifest, rows, tables_dir, plots_dir)
    return rows
