"""The ablation rows laid out like the papers' tables: Markdown, LaTeX (booktabs) and grouped bars."""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import atomic_file, write_text
from ..metrics.summary import HEADLINE


def _cell(r: dict, latex: bool = False) -> str:
    """`ours ± std (paper)`; `server` where a zip awaits the YouTube-VOS server's numbers."""
    pm = r"$\pm$" if latex else "±"
    if r["value"] != "":
        ours = f"{100 * r['value']:.1f}" + (f" {pm} {100 * r['std']:.1f}" if r["std"] != "" else "")
    else:
        ours = "server" if r["submission"] else "–"
    paper = f"{100 * r['paper_value']:.1f}" if r["paper_value"] != "" else "–"
    return f"{ours} ({paper})"


def _label(rows: list[dict], label: str) -> str:
    """Rows our runs fill are marked, so they stand out among the methods a paper compares with."""
    return f"{label} *" if any(r["row"] == label and r["role"] == "reproduced" for r in rows) else label


def _grid(rows: list[dict]) -> tuple[list[str], list[tuple[str, str]], dict]:
    """Rows, columns and cells. The columns are the paper's: the metrics it prints for a dataset
    (results/ablation.csv keeps every metric), or the headline ones where it prints none."""
    labels = list(dict.fromkeys(r["row"] for r in rows))
    printed = {(r["dataset"], r["metric"]) for r in rows if r["paper_value"] != ""}
    columns = [(d, m) for d, m in dict.fromkeys((r["dataset"], r["metric"]) for r in rows)
               if (d, m) in printed or (m in HEADLINE and not any(d == pd for pd, _ in printed))]
    cells = {(r["row"], r["dataset"], r["metric"]): r for r in rows}
    return labels, columns, cells


def markdown(table: str, caption: str, rows: list[dict]) -> str:
    labels, columns, cells = _grid(rows)
    head = "| row | " + " | ".join(f"{d} {m}" for d, m in columns) + " |"
    lines = [f"### {table}: {caption}", "",
             "Ours × 100, mean ± std over seeds (paper value in brackets); * marks the rows our runs fill.", "",
             head, "|---" * (len(columns) + 1) + "|"]
    for label in labels:
        lines.append(f"| {_label(rows, label)} | " + " | ".join(
            _cell(cells[(label, d, m)]) if (label, d, m) in cells else "" for d, m in columns) + " |")
    waiting = {(r["row"], z) for r in rows if r["value"] == "" and r["submission"] for z in r["submission"].split()}
    if waiting:
        lines += ["", "`server`: submit these zips to the YouTube-VOS challenge server and paste its numbers into "
                  "the CSV named by ablation.server_scores (docs/ablation.md, YouTube-VOS):", ""]
        lines += [f"- {label}: `{z}`" for label, z in sorted(waiting)]
    return "\n".join(lines) + "\n"


def _esc(s) -> str:
    return str(s).replace("&", r"\&").replace("_", r"\_").replace("%", r"\%")


def latex(table: str, caption: str, rows: list[dict]) -> str:
    labels, columns, cells = _grid(rows)
    lines = [r"\begin{table}[t]", r"\centering", r"\begin{tabular}{l" + "c" * len(columns) + "}", r"\toprule",
             "Variant & " + " & ".join(f"{_esc(d)} {_esc(m)}" for d, m in columns) + r" \\", r"\midrule"]
    for label in labels:
        lines.append(_esc(_label(rows, label)) + " & " + " & ".join(
            _cell(cells[(label, d, m)], latex=True) if (label, d, m) in cells else "" for d, m in columns) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}",
              rf"\caption{{{_esc(table)}: {_esc(caption)}. Ours $\times 100$, mean $\pm$ std over seeds (paper).}}",
              r"\end{table}"]
    return "\n".join(lines) + "\n"


def bars(table: str, caption: str, rows: list[dict], out: str | os.PathLike) -> None:
    """Grouped bars: one group per row of the table, one bar per (dataset, metric), std as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels, columns, cells = _grid(rows)
    x = np.arange(len(labels))
    width = 0.8 / max(len(columns), 1)
    fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(labels)), 3.6))
    for i, (d, m) in enumerate(columns):
        ys = [cells[(lb, d, m)]["value"] if (lb, d, m) in cells and cells[(lb, d, m)]["value"] != "" else np.nan
              for lb in labels]
        err = [(cells[(lb, d, m)]["std"] or 0) if (lb, d, m) in cells else 0 for lb in labels]
        ax.bar(x + (i - (len(columns) - 1) / 2) * width, ys, width, yerr=err, capsize=2, label=f"{d} {m}")
        paper = [cells[(lb, d, m)]["paper_value"] if (lb, d, m) in cells else "" for lb in labels]
        if any(p != "" for p in paper):
            ax.scatter(x + (i - (len(columns) - 1) / 2) * width, [p if p != "" else np.nan for p in paper],
                       marker="_", s=200, color="black", zorder=3)
    ax.set_xticks(x, labels, fontsize=8, rotation=20, ha="right")
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("score")
    ax.set_title(f"{table}: {caption}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_file(out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def write_tables(manifest: dict, rows: list[dict], tables_dir: str | os.PathLike, plots_dir: str | os.PathLike) -> None:
    for table, spec in manifest["tables"].items():
        mine = [r for r in rows if r["table"] == table]
        write_text(Path(tables_dir) / f"{table}.md", markdown(table, spec["caption"], mine))
        write_text(Path(tables_dir) / f"{table}.tex", latex(table, spec["caption"], mine))
        bars(table, spec["caption"], mine, Path(plots_dir) / f"{table}.png")
