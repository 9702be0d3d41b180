"""results/ablation.csv: every (table, row, dataset, metric) with our mean +- std over seeds, the
paper's value where transcribed, their difference, and provenance."""

from __future__ import annotations

import csv
import os
import statistics

from ..metrics.summary import HEADLINE, collect

COLUMNS = ["table", "row", "variant", "dataset", "metric", "value", "std", "seeds", "paper_dataset",
           "paper_value", "diff", "paper_source", "config_hash", "code_version", "checkpoints"]


def read_paper_values(path: str | os.PathLike) -> dict:
    """(table, row, paper dataset, metric) -> (value as a fraction or None, source).

    The CSV holds values as the papers print them (percent); they are divided by 100 here.
    """
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["table"], r["row"], r["dataset"], r["metric"])
            out[key] = (float(r["value"]) / 100 if r["value"].strip() else None, r["source"])
    return out


def aggregate(manifest: dict, metric_files: list[str | os.PathLike], paper: dict) -> list[dict]:
    """One row per table row x dataset x metric, each table's rows in the paper's order."""
    found = {(r["method"], r["dataset"], r["metric"]): r["value"] for r in collect(metric_files)}
    order = {}  # the paper file lists each table's rows in the paper's order; unknown rows go last
    for table, label, _, _ in paper:
        order.setdefault((table, label), len(order))
    rows = []
    for table, spec in manifest["tables"].items():
        for label in sorted(spec["rows"], key=lambda lb: order.get((table, lb), len(order))):
            runs = [r for r in manifest["runs"] if r["tables"].get(table) == label]
            variant = runs[0]["variant"]
            for dataset in manifest["datasets"]:
                metrics = sorted({m for (name, d, m) in found if d == dataset and name == runs[0]["name"]},
                                 key=_metric_order)
                for metric in metrics:
                    values = [found[(r["name"], dataset, metric)] for r in runs if (r["name"], dataset, metric) in found]
                    if len(values) != len(runs):
                        raise ValueError(f"{table}/{label}: {metric} on {dataset} is missing for some seeds")
                    paper_dataset = manifest["paper_datasets"].get(dataset) or ""
                    paper_value, source = paper.get((table, label, paper_dataset, metric), (None, ""))
                    mean = statistics.fmean(values)
                    rows.append({
                        "table": table, "row": label, "variant": variant, "dataset": dataset, "metric": metric,
                        "value": mean, "std": statistics.stdev(values) if len(values) > 1 else "",  # undefined for one seed
                        "seeds": " ".join(str(r["seed"]) for r in runs), "paper_dataset": paper_dataset,
                        "paper_value": "" if paper_value is None else paper_value,
                        "diff": "" if paper_value is None else mean - paper_value,
                        "paper_source": source, "config_hash": runs[0]["config_hash"],
                        "code_version": manifest["code_version"],
                        "checkpoints": " ".join(r["checkpoint"] for r in runs),
                    })
    return rows


def _metric_order(metric: str) -> int:
    return HEADLINE.index(metric) if metric in HEADLINE else len(HEADLINE)


def check_paper_file(paper: dict, manifest: dict) -> list[tuple[str, str]]:
    """(table, row) pairs of the manifest's tables that the paper-values file does not list."""
    listed = {(t, r) for t, r, _, _ in paper}
    return [(t, r) for t, spec in manifest["tables"].items() for r in spec["rows"] if (t, r) not in listed]
